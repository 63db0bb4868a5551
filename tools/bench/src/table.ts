export interface TableColumn {
  readonly header: string;
  /** Numbers read best right-aligned; default left. */
  readonly align?: "left" | "right";
}

/**
 * Lays rows out as a plain-text table: a header, a rule of dashes, then one line per row, columns
 * two spaces apart and trailing spaces trimmed. Missing cells print empty.
 */
export function formatTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? "";
        return column.align === "right" ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
      })
      .join("  ")
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
  ].join("\n");
}

/** `1234567` as `1,234,567`. */
export function groupDigits(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

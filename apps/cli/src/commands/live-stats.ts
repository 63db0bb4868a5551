import type { ExitTable } from "./exit-stats.js";

/** One exit reason in a live frame: exits since the previous frame and since the start. */
export interface LiveRow {
  readonly reason: string;
  readonly interval: number;
  readonly total: number;
}

export interface LiveTable {
  readonly vcpu: number | undefined;
  readonly interval: number;
  readonly total: number;
  /** Most exits in the interval first, then most in total. */
  readonly rows: readonly LiveRow[];
}

/** Clears the screen and homes the cursor, as `perf kvm stat live` and `top` redraw. */
export const CLEAR_SCREEN = "\x1b[H\x1b[2J";

/**
 * Counts per interval from two cumulative snapshots of the same table; `previous` undefined
 * means the first frame, whose interval is everything so far.
 */
export function liveTable(current: ExitTable, previous: ExitTable | undefined): LiveTable {
  const before = new Map(previous?.rows.map((row) => [row.reason, row.count]));
  const rows = current.rows
    .map((row) => ({
      reason: row.reason,
      interval: row.count - (before.get(row.reason) ?? 0),
      total: row.count,
    }))
    .sort((a, b) => b.interval - a.interval || b.total - a.total || a.reason.localeCompare(b.reason));
  return {
    vcpu: current.vcpu,
    interval: current.total - (previous?.total ?? 0),
    total: current.total,
    rows,
  };
}

function share(count: number, of: number): string {
  return `${of === 0 ? "0.00" : ((100 * count) / of).toFixed(2)}%`;
}

/**
 * One frame: a header line with the elapsed time, then per table the exits in the last
 * `intervalSeconds` (count, share, rate) next to the totals.
 */
export function formatLiveFrame(
  current: readonly ExitTable[],
  previous: readonly ExitTable[] | undefined,
  elapsedSeconds: number,
  intervalSeconds: number,
): string {
  const lines = [`--- hv stat --live: ${elapsedSeconds.toFixed(1)} s elapsed ---`];
  current.forEach((table, i) => {
    const live = liveTable(table, previous?.[i]);
    const who = live.vcpu === undefined ? "all vCPUs" : `vCPU ${live.vcpu}`;
    lines.push(
      "",
      ` Exits of ${who}: ${live.interval} in the last ${intervalSeconds.toFixed(2)} s, ${live.total} in total`,
      "",
    );
    const header = ["exit reason", "interval", "share", "per s", "total"];
    const body = live.rows.map((row) => [
      row.reason,
      String(row.interval),
      share(row.interval, live.interval),
      intervalSeconds > 0 ? Math.round(row.interval / intervalSeconds).toString() : "-",
      String(row.total),
    ]);
    const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
    const format = (cells: string[]) =>
      `  ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")}`;
    lines.push(format(header));
    for (const row of body) lines.push(format(row));
  });
  lines.push("", "");
  return lines.join("\n");
}

/**
 * Draws successive frames: on a terminal each one replaces the last; otherwise (a file, a
 * pipe) they follow one another, each starting with its header line. `rawTerminal` turns `\n`
 * into `\r\n`, since a console in raw mode does no output processing.
 */
export class LiveView {
  private previous: readonly ExitTable[] | undefined;
  private previousAt = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: { readonly tty: boolean; readonly rawTerminal: boolean },
  ) {}

  draw(tables: readonly ExitTable[], elapsedSeconds: number): void {
    let text = formatLiveFrame(tables, this.previous, elapsedSeconds, elapsedSeconds - this.previousAt);
    if (this.options.tty) text = CLEAR_SCREEN + text;
    if (this.options.rawTerminal) text = text.replaceAll("\n", "\r\n");
    this.write(text);
    this.previous = tables;
    this.previousAt = elapsedSeconds;
  }
}

export interface FoldedStack {
  /** Frames from the outermost caller to the sampled function. */
  readonly frames: readonly string[];
  readonly count?: number;
}

/** `;` separates frames and a newline ends a line, so neither may appear inside a frame. */
function cleanFrame(frame: string): string {
  return frame.replace(/[;\r\n]/g, "_").replace(/ +$/, "") || "[empty]";
}

/**
 * Folded stacks (`outer;inner;leaf count` per line), the input of flamegraph.pl, speedscope
 * and inferno. Equal stacks are merged; lines are sorted for stable output.
 */
export function foldStacks(stacks: Iterable<FoldedStack>): string {
  const totals = new Map<string, number>();
  for (const stack of stacks) {
    if (stack.frames.length === 0) continue;
    const key = stack.frames.map(cleanFrame).join(";");
    totals.set(key, (totals.get(key) ?? 0) + (stack.count ?? 1));
  }
  return [...totals.keys()]
    .sort()
    .map((key) => `${key} ${totals.get(key)}\n`)
    .join("");
}

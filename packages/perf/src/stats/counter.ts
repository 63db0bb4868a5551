/** A named monotonic (or gauge-like) number, for things no tracepoint counts. */
export class Counter {
  readonly name: string;
  value = 0;

  constructor(name: string) {
    this.name = name;
  }

  add(amount = 1): void {
    this.value += amount;
  }

  reset(): void {
    this.value = 0;
  }
}

/** Injected time source, milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** A clock that moves only when told; the simulator's default so runs are reproducible. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`cannot advance clock by ${ms}`);
    this.current += ms;
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

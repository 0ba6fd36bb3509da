/** Seeded pseudo-random generator (mulberry32). Engine logic never calls Math.random. */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** Standard normal deviate (Box–Muller). */
  normal(): number;
  /** A new generator whose stream is independent of this one (for per-venue / per-bot streams). */
  fork(label: string): Prng;
  /** Where the stream is: restoring it with `setState` continues the same sequence. */
  getState(): PrngState;
  setState(state: PrngState): void;
}

export interface PrngState {
  /** mulberry32's 32-bit state. */
  state: number;
  /** The second deviate of the last Box–Muller pair, not yet returned. */
  spareNormal: number | null;
}

function hashLabel(label: string): number {
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  let spareNormal: number | undefined;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal: () => {
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return z;
      }
      let u = next();
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spareNormal = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    fork: (label) => createPrng((seed ^ hashLabel(label)) >>> 0),
    getState: () => ({ state, spareNormal: spareNormal ?? null }),
    setState: (s) => {
      state = s.state >>> 0;
      spareNormal = s.spareNormal ?? undefined;
    },
  };
}

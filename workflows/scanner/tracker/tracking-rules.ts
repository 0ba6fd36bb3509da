/**
 * The tracker's schedule and its outcome rule, as plain functions (no clock, no I/O): the sampling
 * activity asks them what to do next, and the unit tests check them with tables of cases.
 *
 * Slots are fixed against the clock: slot `seq` is due at `startMs + seq × intervalMs`, whatever the
 * previous sample cost, so lateness never accumulates. A slot whose time has passed while a later one
 * is also due is skipped (and recorded as a gap), never sampled late.
 */

export const TRACKING_OUTCOMES = ['CONVERGED', 'EXPIRED', 'FEED_DOWN'] as const;
export type TrackingOutcome = (typeof TRACKING_OUTCOMES)[number];

/** When slot `seq` is due, ms since epoch. */
export function slotAt(startMs: number, intervalMs: number, seq: number): number {
  return startMs + seq * intervalMs;
}

/** How many slots a tracking has: 0 .. lastSlot, the last one due at or before the horizon. */
export function lastSlot(horizonMs: number, intervalMs: number): number {
  return Math.floor(horizonMs / intervalMs);
}

export interface NextSlot {
  /** The slot to sample next. */
  seq: number;
  /** When it is due. */
  at: number;
  /** How long to wait for it (0: now). */
  waitMs: number;
  /** Slots that passed unsampled since `lastSeq` and are skipped: [from, to], inclusive. */
  missed?: { from: number; to: number };
}

/**
 * The next slot after `lastSeq` (-1 before the first) at time `nowMs`: the following slot when it is
 * still ahead, otherwise the latest slot already due, with the ones in between skipped.
 */
export function nextSlot(startMs: number, intervalMs: number, lastSeq: number, nowMs: number): NextSlot {
  const following = lastSeq + 1;
  const due = Math.floor((nowMs - startMs) / intervalMs);
  if (due <= following) {
    const at = slotAt(startMs, intervalMs, following);
    return { seq: following, at, waitMs: Math.max(0, at - nowMs) };
  }
  return {
    seq: due,
    at: slotAt(startMs, intervalMs, due),
    waitMs: 0,
    missed: { from: following, to: due - 1 },
  };
}

/** `(perpBid − spotAsk) / spotAsk` in basis points: buy spot at its ask, sell the perp at its bid. */
export function spreadBps(spotAsk: number, perpBid: number): number {
  return ((perpBid - spotAsk) / spotAsk) * 10_000;
}

export interface OutcomeInput {
  /** The spread of the sample just read; undefined when a leg could not be read for this slot. */
  spreadBps: number | undefined;
  exitBps: number;
  /** The slot just handled, and the tracking's last slot. */
  seq: number;
  lastSeq: number;
  /** Since when each leg has gone unread (0 while it reads). */
  spotDownMs: number;
  perpDownMs: number;
  feedDownMs: number;
}

/**
 * Whether the tracking ends after this slot, and how. A spread below the exit threshold converges, but
 * only a spread actually read on both legs: a lost leg is `FEED_DOWN` once it has been unreadable for
 * longer than `feedDownMs`, never a convergence. Otherwise the last slot expires it.
 */
export function trackingOutcome(input: OutcomeInput): TrackingOutcome | undefined {
  if (input.spreadBps !== undefined && input.spreadBps < input.exitBps) return 'CONVERGED';
  if (Math.max(input.spotDownMs, input.perpDownMs) > input.feedDownMs) return 'FEED_DOWN';
  if (input.seq >= input.lastSeq) return 'EXPIRED';
  return undefined;
}

/**
 * Where a resumed attempt starts: after the last slot durably written, by the table or by the last
 * heartbeat, whichever is further (the heartbeat is sent only after its write, so the table is never
 * behind it unless rows were deleted).
 */
export function resumeAfter(tableLastSeq: number | undefined, heartbeatLastSeq: number | undefined): number {
  return Math.max(tableLastSeq ?? -1, heartbeatLastSeq ?? -1);
}

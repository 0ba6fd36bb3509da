import { z } from 'zod';
import type { Observations } from '../../activities/risk';
import { compare, subtract } from '../../domain/decimal';
import type { RiskScope, Trip } from '../../domain/risk';
import { DecimalParamSchema } from '../../domain/trading';

/**
 * Circuit breaker settings. Latency and stale quotes lift by themselves when the venue recovers (as seed
 * 002 does on degraded connectivity); error rate and drawdown hold until an operator sets ACTIVE, because
 * a venue refusing orders or a strategy losing money needs a person to look before trading resumes.
 */
export const BreakerSettingsSchema = z
  .object({
    /** How often the breakers look. */
    everyMs: z.number().int().min(200).max(600_000).default(2_000),
    latency: z
      .object({
        windowMs: z.number().int().min(1_000).default(30_000),
        p99Ms: z.number().positive().default(2_000),
        minCalls: z.number().int().min(1).default(5),
        state: z.enum(['REDUCING', 'HALTED']).default('REDUCING'),
      })
      .prefault({}),
    errors: z
      .object({
        windowMs: z.number().int().min(1_000).default(60_000),
        /** Failed calls (errors and rejections) over all calls. */
        maxRate: z.number().min(0).max(1).default(0.5),
        minCalls: z.number().int().min(1).default(10),
      })
      .prefault({}),
    /** Realized + unrealized PnL this far below its peak within the window halts everything. Off unless set. */
    drawdown: z
      .object({ windowMs: z.number().int().min(1_000).default(3_600_000), maxLoss: DecimalParamSchema })
      .optional(),
    stale: z.object({ maxAgeMs: z.number().int().min(100).default(30_000) }).prefault({}),
    /** Denials above this many per minute raise an alert. */
    denials: z.object({ perMinute: z.number().int().min(1).default(30) }).prefault({}),
  })
  .prefault({});
export type BreakerSettings = z.infer<typeof BreakerSettingsSchema>;

export const tripKey = (trip: Pick<Trip, 'breaker' | 'scope' | 'key'>) =>
  `${trip.breaker}:${trip.scope}:${trip.key}`;

export type BreakerAction =
  | { type: 'trip'; trip: Trip }
  | { type: 'lift'; trip: Trip; reason: string }
  | { type: 'alert'; incident: string; text: string };

/** What the breakers remember between looks: their trips and the incidents that are open. */
export interface BreakerMemory {
  tripped: Record<string, Trip>;
  /** Venues seen unreachable, and the incident number of each outage. */
  lost: Record<string, number>;
  denialBurst?: number;
  /** Counts incidents, so every alert's incident id is new and the same on a replay. */
  incidents: number;
}

export const emptyMemory = (): BreakerMemory => ({ tripped: {}, lost: {}, incidents: 0 });

/**
 * The breakers' decision on one look: which trips to set, which to lift, which alerts to raise. Pure: the
 * workflow carries the actions out (trading states through an activity, alerts through another).
 */
export function evaluateBreakers(
  settings: BreakerSettings,
  seen: Observations,
  memory: BreakerMemory,
): { actions: BreakerAction[]; memory: BreakerMemory } {
  const next: BreakerMemory = { ...memory, tripped: { ...memory.tripped }, lost: { ...memory.lost } };
  // States a breaker holds in the database that this memory does not know (a risk workflow started anew):
  // adopted, so they lift by the same rules as the trips this workflow made.
  for (const held of seen.held) next.tripped[tripKey(held)] ??= held;
  const actions: BreakerAction[] = [];
  const incident = (name: string) => `${name}#${(next.incidents += 1)}`;

  const hold = (trip: Trip, holding: boolean, autoLift: boolean, liftReason: string) => {
    const key = tripKey(trip);
    const held = next.tripped[key];
    if (holding && !held) {
      next.tripped[key] = trip;
      actions.push({ type: 'trip', trip });
      actions.push({
        type: 'alert',
        incident: incident(`breaker:${key}`),
        text: `Keel: ${trip.breaker} breaker tripped, ${trip.scope} ${trip.key || 'all'} is ${trip.state}: ${trip.reason}`,
      });
    } else if (!holding && held && autoLift) {
      delete next.tripped[key];
      actions.push({ type: 'lift', trip: held, reason: liftReason });
      actions.push({
        type: 'alert',
        incident: incident(`breaker:${key}:lifted`),
        text: `Keel: ${trip.breaker} breaker lifted, ${trip.scope} ${trip.key || 'all'} is ACTIVE again: ${liftReason}`,
      });
    }
  };

  for (const venue of seen.latency) {
    // Trips on enough calls to mean something; once tripped, holds while the calls there are slow.
    const tripped = next.tripped[tripKey({ breaker: 'latency', scope: 'venue', key: venue.venue })];
    const slow =
      (tripped !== undefined || venue.calls >= settings.latency.minCalls) &&
      venue.p99Ms > settings.latency.p99Ms;
    hold(
      {
        breaker: 'latency',
        scope: 'venue',
        key: venue.venue,
        state: settings.latency.state,
        reason: `round-trip p99 ${Math.round(venue.p99Ms)} ms over ${venue.calls} calls in ${settings.latency.windowMs / 1000} s is above ${settings.latency.p99Ms} ms`,
      },
      slow,
      true,
      `p99 ${Math.round(venue.p99Ms)} ms is back under ${settings.latency.p99Ms} ms`,
    );
  }
  // A tripped venue with no calls left in the window has nothing slow left to show: it recovered.
  for (const trip of Object.values(next.tripped))
    if (trip.breaker === 'latency' && !seen.latency.some((venue) => venue.venue === trip.key))
      hold(trip, false, true, 'no slow calls left in the window');

  for (const venue of seen.errors) {
    const rate = venue.calls === 0 ? 0 : venue.errors / venue.calls;
    hold(
      {
        breaker: 'errors',
        scope: 'venue',
        key: venue.venue,
        state: 'HALTED',
        reason: `${venue.errors} of ${venue.calls} calls failed in ${settings.errors.windowMs / 1000} s (above ${Math.round(settings.errors.maxRate * 1000) / 10} %)`,
      },
      venue.calls >= settings.errors.minCalls && rate > settings.errors.maxRate,
      false,
      '',
    );
    // Connectivity: every recent call failing is an outage; the first success after it is the recovery.
    const outage = venue.calls >= 3 && venue.errors === venue.calls;
    if (outage && next.lost[venue.venue] === undefined) {
      next.lost[venue.venue] = next.incidents + 1;
      actions.push({
        type: 'alert',
        incident: incident(`connectivity:${venue.venue}:lost`),
        text: `Keel: lost connectivity to ${venue.venue}: the last ${venue.calls} calls all failed`,
      });
    } else if (venue.lastOk && next.lost[venue.venue] !== undefined) {
      delete next.lost[venue.venue];
      actions.push({
        type: 'alert',
        incident: incident(`connectivity:${venue.venue}:restored`),
        text: `Keel: connectivity to ${venue.venue} restored`,
      });
    }
  }

  if (settings.drawdown && seen.pnl) {
    const loss = subtract(seen.pnl.peak, seen.pnl.now);
    hold(
      {
        breaker: 'drawdown',
        scope: 'global',
        key: '',
        state: 'HALTED',
        reason: `PnL ${seen.pnl.now} is ${loss} below its peak ${seen.pnl.peak} within ${settings.drawdown.windowMs / 1000} s (limit ${settings.drawdown.maxLoss})`,
      },
      compare(loss, settings.drawdown.maxLoss) > 0,
      false,
      '',
    );
  }

  // The stale breaker halts a canonical symbol on every venue, so it judges a symbol by its stalest book:
  // judged book by book, a symbol stale on one venue and fresh on another would trip and lift every look.
  const stalest = new Map<string, Observations['quotes'][number]>();
  const age = (quote: Observations['quotes'][number]) => quote.ageMs ?? Infinity;
  for (const quote of seen.quotes) {
    const held = stalest.get(quote.symbol);
    if (!held || age(quote) > age(held)) stalest.set(quote.symbol, quote);
  }
  for (const quote of stalest.values()) {
    const stale = quote.ageMs === null || quote.ageMs > settings.stale.maxAgeMs;
    hold(
      {
        breaker: 'stale',
        scope: 'symbol',
        key: quote.symbol,
        state: 'HALTED',
        reason:
          quote.ageMs === null
            ? `${quote.venue} ${quote.market} gives no quote for ${quote.symbol}`
            : `the latest ${quote.venue} ${quote.market} quote for ${quote.symbol} is ${Math.round(quote.ageMs / 1000)} s old (limit ${settings.stale.maxAgeMs / 1000} s)`,
      },
      stale,
      true,
      `${quote.symbol} quotes are fresh again`,
    );
  }

  const burst = seen.denials > settings.denials.perMinute;
  if (burst && next.denialBurst === undefined) {
    next.denialBurst = next.incidents + 1;
    actions.push({
      type: 'alert',
      incident: incident('denials'),
      text: `Keel: the risk check denied ${seen.denials} orders in the last minute (alert above ${settings.denials.perMinute})`,
    });
  } else if (!burst) delete next.denialBurst;

  return { actions, memory: next };
}

/** An operator's ACTIVE cleared these breakers' states: they may trip again on the next look. */
export function forgetCleared(
  memory: BreakerMemory,
  scope: RiskScope,
  key: string,
  sources: string[],
): BreakerMemory {
  const tripped = { ...memory.tripped };
  for (const source of sources) {
    const breaker = source.replace(/^breaker:/, '');
    delete tripped[`${breaker}:${scope}:${key}`];
  }
  return { ...memory, tripped };
}

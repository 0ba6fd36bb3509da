import { CancelledFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { BestBidAsk, ConnectorFactory } from '../connectors/exchange-connector';
import {
  closeTracking,
  lastWrittenSeq,
  openTracking,
  writeTrackingBatch,
  type Gap,
  type GapReason,
  type Sample,
} from '../db/scanner-trackings';
import type { MarketKind, Venue } from '../domain/venues';
import {
  lastSlot,
  nextSlot,
  resumeAfter,
  spreadBps,
  trackingOutcome,
  type TrackingOutcome,
} from '../workflows/scanner/tracker/tracking-rules';

export interface TrackingLeg {
  venue: Venue;
  market: MarketKind;
  account: string;
}

/** One tracking's sampling, as the tracker workflow hands it over (validated there). */
export interface SampleSpreadInput {
  /** `<workflow id>/<run id>`: the tracking's row in scanner_trackings. */
  trackingId: string;
  symbol: string;
  direction: string;
  spot: TrackingLeg;
  perp: TrackingLeg;
  entryBps: number;
  exitBps: number;
  intervalMs: number;
  horizonMs: number;
  feedDownMs: number;
  batchSize: number;
  flushMs: number;
}

export interface SampleSpreadResult {
  outcome: TrackingOutcome;
  /** The last slot handled (a sample or a gap). */
  lastSeq: number;
  lastSpreadBps: number | null;
  /** When the outcome was decided, ms since epoch. */
  endedAt: number;
  /** With FEED_DOWN: why the lost leg could not be read. */
  feedError?: string;
}

/** What each heartbeat carries: the last slot durably written (a retry resumes after it). */
const TrackingHeartbeatSchema = z.object({ lastSeq: z.int(), lastSpreadBps: z.number().nullable() });
export type TrackingHeartbeat = z.infer<typeof TrackingHeartbeatSchema>;

/** Heartbeats go out at least this often whatever the sampling does (the SDK throttles them further). */
export const TRACKING_HEARTBEAT_MS = 1_000;

export interface ScannerTrackingDependencies {
  pool: Pool;
  connectors: ConnectorFactory;
}

export function createScannerTrackingActivities(deps: ScannerTrackingDependencies) {
  return {
    /**
     * Samples both legs of one tracking on a fixed schedule until it converges, expires or loses a feed,
     * writing samples to PostgreSQL in batches and heartbeating the last slot written. A retried attempt
     * (a worker died) resumes after the last slot written, by the table and by the last heartbeat; the
     * slots in between, sampled or not by the dead attempt, are recorded as a `restart` gap.
     */
    async sampleSpread(input: SampleSpreadInput): Promise<SampleSpreadResult> {
      const context = Context.current();
      const { pool } = deps;
      const spot = deps.connectors(input.spot.venue, input.spot.market, input.spot.account);
      const perp = deps.connectors(input.perp.venue, input.perp.market, input.perp.account);
      // Slot 0 is due when the first attempt starts sampling (not when the workflow started: its first
      // slots would be gone before the activity could take them); every later attempt keeps that origin.
      const origin = await openTracking(pool, {
        id: input.trackingId,
        symbol: input.symbol,
        direction: input.direction,
        openedAt: Date.now(),
        entryBps: input.entryBps,
        exitBps: input.exitBps,
        intervalMs: input.intervalMs,
      });
      const details = TrackingHeartbeatSchema.safeParse(context.info.heartbeatDetails);
      let lastSeq = resumeAfter(
        await lastWrittenSeq(pool, input.trackingId),
        details.success ? details.data.lastSeq : undefined,
      );
      let lastSpread = details.success ? details.data.lastSpreadBps : null;
      let durableSeq = lastSeq;
      /** A later attempt: the first skipped slots are the dead attempt's. */
      let restarting = context.info.attempt > 1 || lastSeq >= 0;
      const finalSeq = lastSlot(input.horizonMs, input.intervalMs);

      let samples: Sample[] = [];
      let gaps: Gap[] = [];
      let lastFlush = Date.now();
      const slotTime = (seq: number) => origin + seq * input.intervalMs;
      const addGap = (fromSeq: number, toSeq: number, reason: GapReason) => {
        const last = gaps.at(-1);
        if (last && last.reason === reason && last.toSeq + 1 === fromSeq) {
          last.toSeq = toSeq;
          last.toAt = slotTime(toSeq);
        } else gaps.push({ fromSeq, toSeq, fromAt: slotTime(fromSeq), toAt: slotTime(toSeq), reason });
      };
      const beat = () => context.heartbeat({ lastSeq: durableSeq, lastSpreadBps: lastSpread });
      // Writes run beside the sampling, one at a time, so a slow write never delays a slot; a failed one
      // fails the attempt at the next slot (its retry resumes after the last slot written).
      const writer = batchWriter((rows, upToSeq) =>
        writeTrackingBatch(pool, input.trackingId, rows.samples, rows.gaps).then(() => {
          durableSeq = upToSeq;
          beat();
        }),
      );
      const write = () => {
        writer.start({ samples, gaps }, lastSeq);
        samples = [];
        gaps = [];
        lastFlush = Date.now();
      };
      const flush = async () => {
        await writer.idle();
        write();
        await writer.idle();
      };

      const read = readLeg(input.symbol, input.feedDownMs);
      const down = { spot: undefined as number | undefined, perp: undefined as number | undefined };
      let feedError: string | undefined;
      let outcome: TrackingOutcome | undefined;
      const beating = setInterval(beat, TRACKING_HEARTBEAT_MS);
      try {
        while (outcome === undefined) {
          const slot = nextSlot(origin, input.intervalMs, lastSeq, Date.now());
          if (slot.missed && slot.missed.from <= finalSeq)
            addGap(slot.missed.from, Math.min(slot.missed.to, finalSeq), restarting ? 'restart' : 'late');
          restarting = false;
          if (slot.seq > finalSeq) {
            // The horizon passed while no slot could be sampled (a long outage, or a retry after it).
            lastSeq = Math.max(lastSeq, finalSeq);
            outcome = 'EXPIRED';
            break;
          }
          if (slot.waitMs > 0) await context.sleep(slot.waitMs);

          const [spotQuote, perpQuote] = await Promise.all([read(spot), read(perp)]);
          const now = Date.now();
          for (const [leg, quote] of [
            ['spot', spotQuote],
            ['perp', perpQuote],
          ] as const) {
            if (typeof quote === 'string') {
              down[leg] ??= now;
              feedError = `${input[leg].venue}/${input[leg].market}: ${quote}`;
            } else down[leg] = undefined;
          }
          let spread: number | undefined;
          if (typeof spotQuote !== 'string' && typeof perpQuote !== 'string') {
            spread = spreadBps(Number(spotQuote.ask), Number(perpQuote.bid));
            lastSpread = spread;
            samples.push({
              seq: slot.seq,
              at: now,
              spotBid: spotQuote.bid,
              spotAsk: spotQuote.ask,
              perpBid: perpQuote.bid,
              perpAsk: perpQuote.ask,
              spreadBps: spread,
            });
          } else addGap(slot.seq, slot.seq, 'feed');
          lastSeq = slot.seq;

          outcome = trackingOutcome({
            spreadBps: spread,
            exitBps: input.exitBps,
            seq: slot.seq,
            lastSeq: finalSeq,
            spotDownMs: down.spot === undefined ? 0 : now - down.spot,
            perpDownMs: down.perp === undefined ? 0 : now - down.perp,
            feedDownMs: input.feedDownMs,
          });
          writer.throwIfFailed();
          // A batch starts writing early enough to be written by the time a full batch is waiting behind
          // it: `slotsPerWrite` slots before full, as long as the slowest recent write took.
          const due = input.batchSize - writer.slotsPerWrite(input.intervalMs);
          if (!writer.busy && (samples.length + gaps.length >= due || now - lastFlush >= input.flushMs))
            write();
        }
        await flush();
      } catch (error) {
        // Cancelled (the workflow was, or the worker shuts down): keep what was sampled, then stop.
        if (error instanceof CancelledFailure) await flush().catch(() => undefined);
        else await writer.idle().catch(() => undefined);
        throw error;
      } finally {
        clearInterval(beating);
      }
      return {
        outcome,
        lastSeq,
        lastSpreadBps: lastSpread,
        endedAt: Date.now(),
        ...(outcome === 'FEED_DOWN' && feedError !== undefined && { feedError }),
      };
    },

    /** Records a tracking's outcome and its counts; closing it twice keeps the first outcome. */
    async closeSpreadTracking(input: {
      trackingId: string;
      outcome: TrackingOutcome;
      closedAt: number;
    }): Promise<{ samples: number; missed: number; outcome: TrackingOutcome }> {
      const row = await closeTracking(deps.pool, {
        id: input.trackingId,
        outcome: input.outcome,
        closedAt: input.closedAt,
      });
      return { samples: row.samples ?? 0, missed: row.gaps ?? 0, outcome: row.outcome ?? input.outcome };
    },
  };
}

export type ScannerTrackingActivities = ReturnType<typeof createScannerTrackingActivities>;

/**
 * Background batch writes, one in flight at a time, remembering how long the recent ones took (the slowest
 * of the last few sets how early the next starts: a write's time varies with the database's load) and the
 * first failure (raised by `throwIfFailed` and `idle`).
 */
function batchWriter(
  writeRows: (rows: { samples: Sample[]; gaps: Gap[] }, upToSeq: number) => Promise<void>,
) {
  let inFlight: Promise<void> | undefined;
  let failure: Error | undefined;
  const recentWriteMs = new Array<number>(8).fill(0);
  let writes = 0;
  const throwIfFailed = () => {
    if (failure !== undefined) throw failure;
  };
  return {
    get busy() {
      return inFlight !== undefined;
    },
    start(rows: { samples: Sample[]; gaps: Gap[] }, upToSeq: number) {
      const startedAt = Date.now();
      inFlight = writeRows(rows, upToSeq)
        .then(
          () => void (recentWriteMs[writes++ % recentWriteMs.length] = Date.now() - startedAt),
          (error: unknown) => void (failure ??= error instanceof Error ? error : new Error(String(error))),
        )
        .finally(() => (inFlight = undefined));
    },
    slotsPerWrite: (intervalMs: number) => Math.ceil(Math.max(...recentWriteMs) / intervalMs),
    throwIfFailed,
    async idle() {
      await inFlight;
      throwIfFailed();
    },
  };
}

/**
 * Reads one leg's best bid/ask: the quote, or why there is none (an error, no answer within
 * `timeoutMs`, or a quote no spread can be computed from).
 */
function readLeg(symbol: string, timeoutMs: number) {
  return async (connector: ReturnType<ConnectorFactory>): Promise<BestBidAsk | string> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
    });
    try {
      const quote = await Promise.race([connector.bestBidAsk(symbol), timeout]);
      if (typeof quote === 'string') return quote;
      const bid = Number(quote.bid);
      const ask = Number(quote.ask);
      if (!(bid > 0 && ask > 0 && bid <= ask)) return `unusable quote bid ${quote.bid} ask ${quote.ask}`;
      return quote;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
    }
  };
}

import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import {
  ConnectorError,
  type BestBidAsk,
  type ConnectorFactory,
  type ExchangeConnector,
  type Instrument,
} from '../connectors/exchange-connector';
import {
  SnapshotConflictError,
  saveScannerSnapshot,
  scannerSnapshotPairs,
  type NewScannerSnapshot,
  type SnapshotPairs,
} from '../db/scanner-snapshots';
import { isSoundQuote } from '../domain/trading';
import type { MarketKind, Venue } from '../domain/venues';
import { asFailure } from './market-snapshot';

export type { ListingTuple, NewScannerSnapshot, SnapshotPairs } from '../db/scanner-snapshots';

/**
 * Pair discovery's I/O (docs/scanner.md): one source's instruments through the connector port, and the
 * versioned snapshot in PostgreSQL. The workflow (workflows/scanner/discovery-workflow.ts) does the rest
 * with the pure core. Retries are the workflow's retry policy, not loops here.
 */

export interface ScannerDiscoveryDependencies {
  pool: Pool;
  connectors: ConnectorFactory;
}

/** One scanner source, as the workflow names it (`workflows/scanner/discovery/sources.ts`). */
export interface SourceRef {
  /** `binance-spot`, … */
  name: string;
  venue: Venue;
  market: MarketKind;
}

/**
 * One instrument as a tuple, to keep the payload small (a venue lists up to ~2,000 instruments):
 * canonical symbol, venue symbol, base, quote, market, tick, lot, min qty, max qty (null: none), min
 * notional, trading.
 */
export type InstrumentTuple = [
  symbol: string,
  venueSymbol: string,
  base: string,
  quote: string,
  market: MarketKind,
  tickSize: string,
  lotSize: string,
  minQuantity: string,
  maxQuantity: string | null,
  minNotional: string,
  trading: boolean,
];

export const instrumentTuple = (i: Instrument): InstrumentTuple => [
  i.symbol,
  i.venueSymbol,
  i.base,
  i.quote,
  i.market,
  i.tickSize,
  i.lotSize,
  i.minQuantity,
  i.maxQuantity ?? null,
  i.minNotional,
  i.trading,
];

/** What one source's stream showed for one symbol during stream validation (the workflow judges it). */
export interface SymbolObservation {
  /** Quotes received. */
  quotes: number;
  /** The last sound quote (bid > 0, ask > 0, bid ≤ ask), else the last one received: [bid, ask]. */
  top?: [bid: string, ask: string];
  /** The venue refused to subscribe this symbol: its message. */
  rejected?: string;
}

export interface StreamValidationInput {
  source: SourceRef;
  account: string;
  /** Canonical symbols, in the order they are batched. */
  symbols: string[];
  batchSize: number;
  collectMs: number;
  idleMs: number;
  batchTimeoutMs: number;
}

/** Batches done and what they showed: the heartbeat, so a retried attempt resumes after them. */
interface ValidationProgress {
  done: number;
  observed: Record<string, SymbolObservation>;
}

/** How often a validating activity heartbeats (its heartbeat timeout is the workflow's, 30 s). */
const HEARTBEAT_EVERY_MS = 5_000;

/** The venue refused the subscription itself (not a dropped connection): bisect to the symbol refused. */
const refusedSubscription = (error: unknown): error is ConnectorError =>
  error instanceof ConnectorError && (error.kind === 'unknown-symbol' || error.kind === 'invalid-order');

type Timing = Pick<StreamValidationInput, 'collectMs' | 'idleMs' | 'batchTimeoutMs'>;

/**
 * Subscribes one batch and collects until every symbol had a sound quote, `collectMs` passed, or
 * `idleMs` passed without a new symbol becoming sound (after the first); then unsubscribes, waiting for
 * the watch to end at most until `batchTimeoutMs` after the start. A watch failing before that is thrown.
 */
async function collectQuotes(
  connector: ExchangeConnector,
  symbols: readonly string[],
  into: Record<string, SymbolObservation>,
  timing: Timing,
  cancel: AbortSignal,
): Promise<void> {
  const startedAt = Date.now();
  const ours = new Set(symbols);
  const waiting = new Set(symbols);
  const stop = new AbortController();
  let wake: () => void = () => undefined;
  const enough = new Promise<undefined>((resolve) => (wake = () => resolve(undefined)));
  let idle: ReturnType<typeof setTimeout> | undefined;
  const onQuote = (q: BestBidAsk): void => {
    if (!ours.has(q.symbol)) return;
    const seen = (into[q.symbol] ??= { quotes: 0 });
    seen.quotes += 1;
    // Only which quote to keep and when a symbol is done; the verdict is the workflow's (`classifySymbol`).
    if (isSoundQuote(q.bid, q.ask)) {
      seen.top = [q.bid, q.ask];
      if (waiting.delete(q.symbol)) {
        if (waiting.size === 0) wake();
        clearTimeout(idle);
        idle = setTimeout(wake, timing.idleMs);
      }
    } else if (waiting.has(q.symbol)) seen.top = [q.bid, q.ask];
  };
  const collect = setTimeout(wake, timing.collectMs);
  cancel.addEventListener('abort', wake);
  const watching = connector.watchBestBidAsk([...symbols], onQuote, stop.signal).then(
    () => ({ failed: false as const }),
    (error: unknown) => ({ failed: true as const, error }),
  );
  const first = await Promise.race([enough, watching]);
  clearTimeout(collect);
  clearTimeout(idle);
  cancel.removeEventListener('abort', wake);
  stop.abort();
  if (first?.failed) throw first.error;
  if (first === undefined) {
    let cap: ReturnType<typeof setTimeout> | undefined;
    const left = Math.max(0, startedAt + timing.batchTimeoutMs - Date.now());
    // An unsubscribe still hanging at the batch deadline is left behind.
    await Promise.race([watching, new Promise((resolve) => (cap = setTimeout(resolve, left)))]);
    clearTimeout(cap);
  }
  ours.clear(); // quotes from a watch left behind no longer count
  if (cancel.aborted) throw cancel.reason instanceof Error ? cancel.reason : new Error('cancelled');
}

/** A batch; when the venue refuses it, its halves (concurrently), down to the symbols it refuses. */
async function validateBatch(
  connector: ExchangeConnector,
  symbols: readonly string[],
  into: Record<string, SymbolObservation>,
  timing: Timing,
  cancel: AbortSignal,
): Promise<void> {
  try {
    await collectQuotes(connector, symbols, into, timing, cancel);
  } catch (error) {
    if (!refusedSubscription(error)) throw error;
    const [only] = symbols;
    if (symbols.length === 1 && only !== undefined) {
      into[only] = { ...(into[only] ?? { quotes: 0 }), rejected: error.message };
      return;
    }
    const half = Math.ceil(symbols.length / 2);
    await Promise.all(
      [symbols.slice(0, half), symbols.slice(half)].map((part) =>
        validateBatch(connector, part, into, timing, cancel),
      ),
    );
  }
}

const progressFrom = (details: unknown): ValidationProgress | undefined => {
  const p = details as Partial<ValidationProgress> | undefined;
  return p && typeof p.done === 'number' && p.observed && typeof p.observed === 'object'
    ? { done: p.done, observed: p.observed }
    : undefined;
};

export function createScannerDiscoveryActivities(deps: ScannerDiscoveryDependencies) {
  return {
    /**
     * Every instrument one source lists (trading or not). A transient venue error is thrown as it is, for
     * the workflow's retry policy; one retrying cannot fix (bad credentials, no such venue) fails at once.
     */
    async fetchSourceInstruments(input: {
      source: SourceRef;
      account: string;
    }): Promise<{ source: string; instruments: InstrumentTuple[] }> {
      try {
        const connector = deps.connectors(input.source.venue, input.source.market, input.account);
        const instruments = await connector.instruments();
        return { source: input.source.name, instruments: instruments.map(instrumentTuple) };
      } catch (error) {
        throw asFailure(error);
      }
    },

    /**
     * Stream validation of one source (docs/scanner.md): subscribes its symbols batch after batch through
     * the connector's `watchBestBidAsk` and reports what each symbol's stream showed. Heartbeats every
     * 5 s with the batches done, so a retried attempt resumes after them. A dropped stream is thrown for
     * the retry policy; a refused subscription is narrowed down to the symbols refused (`rejected`).
     */
    async validateSourceStreams(
      input: StreamValidationInput,
    ): Promise<{ source: string; observed: Record<string, SymbolObservation>; batches: number }> {
      const ctx = Context.current();
      const batches: string[][] = [];
      for (let i = 0; i < input.symbols.length; i += input.batchSize)
        batches.push(input.symbols.slice(i, i + input.batchSize));
      const progress = progressFrom(ctx.info.heartbeatDetails) ?? { done: 0, observed: {} };
      const beat = () => ctx.heartbeat(progress);
      const beating = setInterval(beat, HEARTBEAT_EVERY_MS);
      try {
        const connector = deps.connectors(input.source.venue, input.source.market, input.account);
        for (; progress.done < batches.length; progress.done++) {
          const seen: Record<string, SymbolObservation> = {};
          await validateBatch(connector, batches[progress.done] ?? [], seen, input, ctx.cancellationSignal);
          Object.assign(progress.observed, seen);
          beat();
        }
        return { source: input.source.name, observed: progress.observed, batches: batches.length };
      } catch (error) {
        throw asFailure(error);
      } finally {
        clearInterval(beating);
      }
    },

    /** The newest snapshot's symbols and pairs per direction (what the next one is diffed against), or null. */
    async latestDiscoverySnapshot(): Promise<SnapshotPairs | null> {
      return (await scannerSnapshotPairs(deps.pool)) ?? null;
    },

    /**
     * Saves the snapshot as the next version in one transaction. A retry of the same run returns the
     * version it already saved; a snapshot saved meanwhile by another run fails it with
     * `SnapshotConflict` (non-retryable: the workflow diffs again against the new latest).
     */
    async saveDiscoverySnapshot(
      snapshot: NewScannerSnapshot,
    ): Promise<{ version: number; alreadySaved: boolean }> {
      try {
        const { version, alreadySaved } = await saveScannerSnapshot(deps.pool, snapshot);
        return { version, alreadySaved };
      } catch (error) {
        if (error instanceof SnapshotConflictError)
          throw ApplicationFailure.nonRetryable(error.message, 'SnapshotConflict', {
            expected: error.expected,
            latest: error.latest,
          });
        throw error;
      }
    },
  };
}

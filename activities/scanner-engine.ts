import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { MarketDataHub } from '../connectors/market-data-hub';
import { scannerSnapshotPairs } from '../db/scanner-snapshots';
import {
  defaultSpreadEngineSettings,
  parseSpreadEngineSettings,
  SCANNER_DIRECTIONS,
  SCANNER_SOURCE_COUNT,
  SpreadEngine,
  type SpreadEngineSettings,
} from '../scanner/engine';
import { DIRECTIONS, SOURCES } from '../workflows/scanner/discovery/sources';

/** What the engine watches: a discovery snapshot's symbols (id = index) and each direction's symbol ids. */
export interface EngineUniverse {
  version: number;
  symbols: string[];
  /** `pairs[directionId]`: the symbols the direction covers (held-out pairs are not among them). */
  pairs: number[][];
}

/** The universe of snapshot `version` (the newest when undefined) as PostgreSQL holds it. */
export async function universeOf(pool: Pool, version: number | undefined): Promise<EngineUniverse> {
  const snapshot = await scannerSnapshotPairs(pool, version);
  if (!snapshot)
    throw ApplicationFailure.nonRetryable(
      version === undefined
        ? 'no discovery snapshot yet: run pair discovery first'
        : `no discovery snapshot ${version}`,
      'NoDiscoverySnapshot',
    );
  const pairs = DIRECTIONS.map(({ id }) => snapshot.directions.find((d) => d.id === id)?.symbolIds ?? []);
  return { version: snapshot.version, symbols: snapshot.symbols, pairs };
}

export interface TrackerStart {
  symbol: string;
  /** The direction's name, e.g. `binance-spot>bybit-perp`. */
  direction: string;
  spreadBps: number;
  exitBps: number;
}

export interface SpreadEngineActivityDependencies {
  /** The worker's market-data hub: one subscription per (source, symbol), shared with every consumer. */
  hub: Pick<MarketDataHub, 'subscribe'>;
  /** The universe of discovery snapshot `version` (the latest when undefined). */
  loadUniverse(version: number | undefined): Promise<EngineUniverse>;
  /** The newest snapshot's version, undefined before the first. */
  latestVersion(): Promise<number | undefined>;
  /**
   * Starts the tracker of (symbol, direction): `running` when one already runs (its workflow id is
   * derived from both, so Temporal refuses a second).
   */
  startTracker(start: TrackerStart): Promise<'started' | 'running'>;
}

export interface SpreadEngineInput {
  /** The discovery snapshot to watch; the latest when absent. */
  version?: number;
  /** Entry and exit thresholds in bps (defaults 50 and 10) and per-source staleness rules. */
  settings?: Partial<SpreadEngineSettings>;
  /**
   * After an opening, how long before the engine may report the same (symbol, direction) again: a new
   * report starts a tracker only if the last one has closed, so this bounds how soon a closed pair is
   * eligible again, not how many trackers run.
   */
  reopenAfterMs?: number;
}

export interface SpreadEngineProgress {
  version: number;
  quotes: number;
  openings: number;
  trackersStarted: number;
}

const HEARTBEAT_MS = 1_000;

/**
 * The spread engine as a long-running heartbeating activity: quotes of every listed (source, symbol) from
 * the hub into the pure engine (scanner/engine), each opening a tracker start. Runs until cancelled (the
 * engine workflow cancels it to pause or to move to a new snapshot), then returns what it did.
 */
export function createSpreadEngineActivities(deps: SpreadEngineActivityDependencies) {
  return {
    /** The newest discovery snapshot's version, or null before the first. */
    async latestSnapshotVersion(): Promise<number | null> {
      return (await deps.latestVersion()) ?? null;
    },

    async runSpreadEngine(input: SpreadEngineInput): Promise<SpreadEngineProgress> {
      const context = Context.current();
      const universe = await deps.loadUniverse(input.version);
      const settings = parseSpreadEngineSettings({
        ...defaultSpreadEngineSettings(SCANNER_SOURCE_COUNT),
        ...input.settings,
      });
      const reopenAfterMs = input.reopenAfterMs ?? 5_000;
      const openings: Array<{ symbolId: number; directionId: number; spreadBps: number }> = [];
      let wake: (() => void) | undefined;
      const topology = {
        symbolCount: universe.symbols.length,
        sourceCount: SCANNER_SOURCE_COUNT,
        directions: [...SCANNER_DIRECTIONS],
        pairs: universe.pairs,
      };
      const engine = new SpreadEngine(topology, settings, {
        onOpening(symbolId, directionId, spreadBps) {
          openings.push({ symbolId, directionId, spreadBps });
          wake?.();
        },
      });
      const progress: SpreadEngineProgress = {
        version: universe.version,
        quotes: 0,
        openings: 0,
        trackersStarted: 0,
      };
      const symbolIds = new Map(universe.symbols.map((symbol, id) => [symbol, id]));
      const staged = engine.staged;
      // Each leg once, however many directions it is in.
      const legs = SOURCES.map(() => new Set<number>());
      for (const direction of DIRECTIONS)
        for (const symbolId of universe.pairs[direction.id] ?? []) {
          legs[direction.spot.id]!.add(symbolId);
          legs[direction.perp.id]!.add(symbolId);
        }
      const unsubscribes = SOURCES.flatMap((source) =>
        [...legs[source.id]!].map((symbolId) =>
          deps.hub.subscribe(source, universe.symbols[symbolId]!, (quote) => {
            const id = symbolIds.get(quote.symbol);
            if (id === undefined) return;
            staged[0] = Number(quote.bid);
            staged[1] = Number(quote.ask);
            staged[2] = quote.timestamp;
            staged[3] = Date.now();
            engine.applyStaged(source.id, id);
            progress.quotes += 1;
          }),
        ),
      );
      const reopenTimers = new Set<NodeJS.Timeout>();
      const heartbeat = setInterval(() => context.heartbeat(progress), HEARTBEAT_MS);
      try {
        while (!context.cancellationSignal.aborted) {
          const next = openings.shift();
          if (!next) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              context.cancellationSignal.addEventListener('abort', () => resolve(), { once: true });
            });
            wake = undefined;
            continue;
          }
          progress.openings += 1;
          const outcome = await deps.startTracker({
            symbol: universe.symbols[next.symbolId]!,
            direction: DIRECTIONS[next.directionId]!.name,
            spreadBps: next.spreadBps,
            exitBps: settings.exitBps,
          });
          if (outcome === 'started') progress.trackersStarted += 1;
          const timer = setTimeout(() => {
            reopenTimers.delete(timer);
            engine.trackingEnded(next.symbolId, next.directionId);
          }, reopenAfterMs);
          reopenTimers.add(timer);
        }
        return progress;
      } finally {
        clearInterval(heartbeat);
        for (const timer of reopenTimers) clearTimeout(timer);
        for (const unsubscribe of unsubscribes) unsubscribe();
      }
    },
  };
}

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
  stalenessForHabit,
  type SpreadEngineSettings,
} from '../scanner/engine';
import { DIRECTIONS, SOURCES, type Source } from '../workflows/scanner/discovery/sources';

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
   * How often a source's stream re-sends an unchanged quote (its connector's `quoteRepublishMs`), which
   * sets the source's default staleness rule; undefined or absent: the stream sends on change.
   */
  quoteRepublishMs?(source: Source): number | undefined;
  /**
   * Starts the tracker of (symbol, direction): `running` when one already runs (its workflow id is
   * derived from both, so Temporal refuses a second).
   */
  startTracker(start: TrackerStart): Promise<'started' | 'running'>;
}

export interface SpreadEngineInput {
  /** The discovery snapshot to watch; the latest when absent. */
  version?: number;
  /**
   * The engine follows the newest snapshot: a retried attempt starts on the newest, since the engine may
   * have moved past `version` before the attempt failed.
   */
  follow?: boolean;
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
  /** Snapshots moved to in place since this run started. */
  moves: number;
}

/** A move of the running engine to another snapshot: the symbols it started and stopped watching. */
export interface SpreadEngineMove {
  from: number;
  to: number;
  added: string[];
  delisted: string[];
  /** Legs (source, symbol) subscribed and unsubscribed; the kept ones stayed subscribed throughout. */
  legsSubscribed: number;
  legsUnsubscribed: number;
}

export type SpreadEngineMoveOutcome =
  { moved: true; move: SpreadEngineMove } | { moved: false; reason: string };

const HEARTBEAT_MS = 1_000;

/** One snapshot's engine: its universe, the pure engine over it, and symbol name → id. */
interface Mounted {
  universe: EngineUniverse;
  engine: SpreadEngine;
  symbolIds: Map<string, number>;
}

/** The legs a universe watches, `<source id>/<symbol>`, each once however many directions it is in. */
function legsOf(universe: EngineUniverse): Map<string, { source: Source; symbol: string }> {
  const legs = new Map<string, { source: Source; symbol: string }>();
  for (const direction of DIRECTIONS)
    for (const symbolId of universe.pairs[direction.id] ?? [])
      for (const source of [direction.spot, direction.perp]) {
        const symbol = universe.symbols[symbolId]!;
        legs.set(`${source.id}/${symbol}`, { source, symbol });
      }
  return legs;
}

/** The symbols a universe watches: those in at least one direction (a held-out symbol is in none). */
export function watchedSymbols(universe: EngineUniverse): string[] {
  const ids = new Set(universe.pairs.flat());
  return universe.symbols.filter((_, id) => ids.has(id));
}

/**
 * The spread engine as a long-running heartbeating activity: quotes of every listed (source, symbol) from
 * the hub into the pure engine (scanner/engine), each opening a tracker start. Runs until cancelled (the
 * engine workflow cancels it to pause), then returns what it did. A new discovery snapshot reaches it
 * through `moveSpreadEngine`, in place.
 */
export function createSpreadEngineActivities(deps: SpreadEngineActivityDependencies) {
  /** How to move the engine running in this worker process to another snapshot, while one runs. */
  let moveRunning: ((version: number) => Promise<SpreadEngineMove>) | undefined;
  return {
    /** The newest discovery snapshot's version, or null before the first. */
    async latestSnapshotVersion(): Promise<number | null> {
      return (await deps.latestVersion()) ?? null;
    },

    /**
     * Moves the engine running in this worker to snapshot `version` without stopping it: the kept legs stay
     * subscribed and keep their quotes and tracking marks, added legs are subscribed, delisted ones dropped.
     * `moved: false` when no engine runs here (another worker's, or none): the caller restarts it instead.
     */
    async moveSpreadEngine(input: { version: number }): Promise<SpreadEngineMoveOutcome> {
      if (!moveRunning) return { moved: false, reason: 'no spread engine runs in this worker' };
      return { moved: true, move: await moveRunning(input.version) };
    },

    async runSpreadEngine(input: SpreadEngineInput): Promise<SpreadEngineProgress> {
      const context = Context.current();
      const settings = parseSpreadEngineSettings({
        ...defaultSpreadEngineSettings(SCANNER_SOURCE_COUNT),
        staleness: SOURCES.map((source) => stalenessForHabit(deps.quoteRepublishMs?.(source))),
        ...input.settings,
      });
      const reopenAfterMs = input.reopenAfterMs ?? 5_000;
      const openings: Array<{ symbol: string; directionId: number; spreadBps: number }> = [];
      let wake: (() => void) | undefined;
      const sink = {
        onOpening(symbolId: number, directionId: number, spreadBps: number) {
          openings.push({ symbol: current.universe.symbols[symbolId]!, directionId, spreadBps });
          wake?.();
        },
      };
      const mount = (universe: EngineUniverse, previous?: Mounted): Mounted => {
        const topology = {
          symbolCount: universe.symbols.length,
          sourceCount: SCANNER_SOURCE_COUNT,
          directions: [...SCANNER_DIRECTIONS],
          pairs: universe.pairs,
        };
        const engine = new SpreadEngine(topology, settings, sink);
        if (previous)
          engine.adoptFrom(
            previous.engine,
            universe.symbols.map((symbol) => previous.symbolIds.get(symbol) ?? -1),
          );
        return { universe, engine, symbolIds: new Map(universe.symbols.map((symbol, id) => [symbol, id])) };
      };
      const retried = context.info.attempt > 1;
      let current = mount(await deps.loadUniverse(input.follow && retried ? undefined : input.version));
      const progress: SpreadEngineProgress = {
        version: current.universe.version,
        quotes: 0,
        openings: 0,
        trackersStarted: 0,
        moves: 0,
      };

      const subscriptions = new Map<string, () => void>();
      const listenerOf =
        (source: Source) => (quote: { symbol: string; bid: string; ask: string; timestamp: number }) => {
          const id = current.symbolIds.get(quote.symbol);
          if (id === undefined) return;
          const staged = current.engine.staged;
          staged[0] = Number(quote.bid);
          staged[1] = Number(quote.ask);
          staged[2] = quote.timestamp;
          staged[3] = Date.now();
          current.engine.applyStaged(source.id, id);
          progress.quotes += 1;
        };
      /** Subscribes the current universe's legs not yet followed and drops the ones it no longer has. */
      const follow = () => {
        const wanted = legsOf(current.universe);
        let unsubscribed = 0;
        for (const [key, unsubscribe] of subscriptions)
          if (!wanted.has(key)) {
            unsubscribe();
            subscriptions.delete(key);
            unsubscribed += 1;
          }
        let subscribed = 0;
        for (const [key, { source, symbol }] of wanted)
          if (!subscriptions.has(key)) {
            subscriptions.set(key, deps.hub.subscribe(source, symbol, listenerOf(source)));
            subscribed += 1;
          }
        return { subscribed, unsubscribed };
      };
      follow();
      const move = async (version: number): Promise<SpreadEngineMove> => {
        const universe = await deps.loadUniverse(version);
        const previous = current;
        current = mount(universe, previous);
        const legs = follow();
        progress.version = universe.version;
        progress.moves += 1;
        const before = watchedSymbols(previous.universe);
        const after = watchedSymbols(universe);
        return {
          from: previous.universe.version,
          to: universe.version,
          added: after.filter((symbol) => !before.includes(symbol)),
          delisted: before.filter((symbol) => !after.includes(symbol)),
          legsSubscribed: legs.subscribed,
          legsUnsubscribed: legs.unsubscribed,
        };
      };
      moveRunning = move;

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
            symbol: next.symbol,
            direction: DIRECTIONS[next.directionId]!.name,
            spreadBps: next.spreadBps,
            exitBps: settings.exitBps,
          });
          if (outcome === 'started') progress.trackersStarted += 1;
          const timer = setTimeout(() => {
            reopenTimers.delete(timer);
            // By name: the engine may have moved to another snapshot (other ids) meanwhile.
            const id = current.symbolIds.get(next.symbol);
            if (id !== undefined) current.engine.trackingEnded(id, next.directionId);
          }, reopenAfterMs);
          reopenTimers.add(timer);
        }
        return progress;
      } finally {
        if (moveRunning === move) moveRunning = undefined;
        clearInterval(heartbeat);
        for (const timer of reopenTimers) clearTimeout(timer);
        for (const unsubscribe of subscriptions.values()) unsubscribe();
      }
    },
  };
}

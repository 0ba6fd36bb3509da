import {
  ActivityFailure,
  ApplicationFailure,
  getExternalWorkflowHandle,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type {
  createScannerDiscoveryActivities,
  InstrumentTuple,
  ListingTuple,
} from '../../activities/scanner-discovery';
import type { Instrument } from '../../connectors/exchange-connector';
import {
  DIRECTIONS,
  DiscoverySettingsSchema,
  EMPTY_RESULT,
  SOURCES,
  StreamValidationSettingsSchema,
  batchesOf,
  buildUniverse,
  diffSnapshots,
  screenValidated,
  summarizeValidation,
  symbolsToValidate,
  verdictsOf,
  type DiscoveryUniverse,
  type SnapshotDiff,
  type SourceName,
  type SourceOutcomes,
  type SourceValidationSummary,
  type StreamOutcomes,
} from './discovery';
import { SPREAD_ENGINE_WORKFLOW_ID, snapshotSavedSignal } from './engine-workflow';

/**
 * Pair discovery as a durable process (docs/scanner.md): fetch the 8 sources' instruments in parallel,
 * build the universe with the pure core, validate each source's streams (one activity per source, in
 * parallel), screen the pairs (stream verdicts, denylist, reference-price check over the streams' mids)
 * and save it as the next versioned snapshot with its diff
 * against the previous one. Run by a Temporal Schedule (scanner/discovery-schedule.ts) or on demand.
 * A run below the quorum, or with bad settings, fails without writing: the previous snapshot stays in force.
 */

type Activities = ReturnType<typeof createScannerDiscoveryActivities>;

/** Each source: 3 attempts, 100 then 200 ms apart (exponential backoff); then it counts as failed. */
export const SOURCE_RETRY = {
  initialInterval: '100 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '400 milliseconds',
  maximumAttempts: 3,
} as const;

const { latestDiscoverySnapshot, saveDiscoverySnapshot } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** A source's fetch, with an activity id naming the source (so its attempts are easy to find in history). */
const fetchFrom = (source: SourceName) =>
  proxyActivities<Activities>({
    activityId: `fetch-${source}`,
    // ccxt's loadMarkets on a slow venue takes seconds; a minute is a hung call.
    startToCloseTimeout: '1 minute',
    retry: SOURCE_RETRY,
  }).fetchSourceInstruments;

/** Stream validation of a source: 3 attempts, 1 then 2 s apart; after that its pairs are held out `no_data`. */
export const VALIDATION_RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumAttempts: 3,
} as const;

/** A source's stream validation; a batch can take `batchTimeoutMs`, twice over when a refusal is bisected. */
const validateOn = (source: SourceName, batches: number, batchTimeoutMs: number) =>
  proxyActivities<Activities>({
    activityId: `validate-${source}`,
    startToCloseTimeout: 2 * batches * batchTimeoutMs + 60_000,
    heartbeatTimeout: '30 seconds',
    retry: VALIDATION_RETRY,
  }).validateSourceStreams;

/**
 * The workflow's input: discovery settings, stream validation's (every field defaulted) and the
 * account the connectors use.
 */
export const PairDiscoveryInputSchema = DiscoverySettingsSchema.extend({
  /** The connector account instruments are read and streams watched with (any configured account can). */
  account: z.string().min(1).max(64).default('keel'),
  validation: StreamValidationSettingsSchema.prefault({}),
});
export type PairDiscoveryInput = z.input<typeof PairDiscoveryInputSchema>;
export type PairDiscoverySettings = z.output<typeof PairDiscoveryInputSchema>;

export interface DiscoveryCounts {
  answeredSources: number;
  symbols: number;
  listings: number;
  /** Pairs kept over all directions. */
  pairs: number;
  /** By direction name, in direction id order. */
  pairsPerDirection: Record<string, number>;
  heldOut: number;
  unchecked: number;
  rejected: number;
}

type Screened = ReturnType<typeof screenValidated>;

export interface PairDiscoveryResult {
  version: number;
  /** The version this one replaced (null for the first). */
  previousVersion: number | null;
  counts: DiscoveryCounts;
  failedSources: { source: SourceName; reason: string }[];
  /** Stream validation per source, in source id order; null when switched off. */
  validation: SourceValidationSummary[] | null;
  diff: SnapshotDiff;
}

/** Failure types a caller can tell apart. */
export const INVALID_DISCOVERY_SETTINGS = 'InvalidDiscoverySettings';
export const QUORUM_NOT_MET = 'QuorumNotMet';

/** Snapshots saved by another run between our diff and our save: diff again, at most this many times. */
const MAX_SAVE_TRIES = 3;

export async function pairDiscoveryWorkflow(input: PairDiscoveryInput = {}): Promise<PairDiscoveryResult> {
  const settings = parseInput(input);

  const outcomes: SourceOutcomes = {};
  await Promise.all(
    SOURCES.map(async (source) => {
      try {
        const { instruments } = await fetchFrom(source.name)({
          source: { name: source.name, venue: source.venue, market: source.market },
          account: settings.account,
        });
        outcomes[source.name] = { status: 'answered', instruments: instruments.map(fromTuple) };
      } catch (error) {
        outcomes[source.name] = { status: 'failed', reason: failureReason(error) };
      }
    }),
  );

  const built = buildUniverse(outcomes, settings);
  if (!built.ok) {
    const { refusal } = built;
    throw ApplicationFailure.create({
      type: QUORUM_NOT_MET,
      message: `pair discovery refused, the previous snapshot stays in force: ${refusal.message}`,
      nonRetryable: true,
      details: [refusal],
    });
  }
  const { universe } = built;
  const validated = settings.validation.enabled ? await validateStreams(universe, settings) : undefined;
  const screened = screenValidated(universe, settings, validated?.verdicts);
  const validation = validated?.summary ?? null;
  const result = { universe, screened };
  const failedSources = result.universe.sources.flatMap((s) =>
    s.status === 'failed' ? [{ source: s.source, reason: s.reason ?? 'failed' }] : [],
  );
  const counts = countsOf(result);
  const next = { symbols: result.universe.symbols, directions: result.screened.directions };
  const sources = result.universe.sources.map((s, i) => ({
    ...s,
    ...(validation ? { validation: validation[i] } : {}),
  }));
  const { workflowId, runId } = workflowInfo();

  for (let attempt = 1; ; attempt++) {
    const previous = await latestDiscoverySnapshot();
    const diff = diffSnapshots(previous ?? EMPTY_RESULT, next);
    try {
      const { version } = await saveDiscoverySnapshot({
        workflowId,
        runId,
        basedOn: previous?.version ?? null,
        settings,
        counts: { ...counts },
        sources,
        failedSources: failedSources.map((f) => f.source),
        priceCheck: result.screened.priceCheck,
        heldOut: result.screened.heldOut,
        unchecked: result.screened.unchecked,
        rejected: result.universe.rejected,
        diff,
        symbols: result.universe.symbols,
        listings: result.universe.listings.map((l): ListingTuple => [
          l.source,
          l.symbolId,
          l.venueSymbol,
          l.tickSize,
          l.lotSize,
          l.minQuantity,
          l.maxQuantity ?? null,
          l.minNotional,
        ]),
        directions: result.screened.directions,
      });
      await tellTheEngine();
      return {
        version,
        previousVersion: previous?.version ?? null,
        counts,
        failedSources,
        validation,
        diff,
      };
    } catch (error) {
      const conflict =
        error instanceof ActivityFailure &&
        error.cause instanceof ApplicationFailure &&
        error.cause.type === 'SnapshotConflict';
      if (!conflict || attempt >= MAX_SAVE_TRIES) throw error;
    }
  }
}

/**
 * Stream validation: every source with pairs subscribes to its symbols in batches (one activity per
 * source, in parallel). A source whose activity failed every attempt gets its pairs held out as
 * `no_data`, each leg naming the failure (`validation of okx-spot failed: …`).
 */
async function validateStreams(universe: DiscoveryUniverse, settings: PairDiscoverySettings) {
  const { validation } = settings;
  const wanted = symbolsToValidate(universe);
  const outcomes: StreamOutcomes = {};
  await Promise.all(
    SOURCES.map(async (source) => {
      const symbols = wanted[source.name];
      if (!symbols) return;
      const batchSize = validation.batchSize[source.venue];
      const batches = batchesOf(symbols, batchSize).length;
      try {
        const { observed } = await validateOn(
          source.name,
          batches,
          validation.batchTimeoutMs,
        )({
          source: { name: source.name, venue: source.venue, market: source.market },
          account: settings.account,
          symbols,
          batchSize,
          collectMs: validation.collectMs,
          idleMs: validation.idleMs,
          batchTimeoutMs: validation.batchTimeoutMs,
        });
        outcomes[source.name] = { status: 'validated', observed };
      } catch (error) {
        outcomes[source.name] = {
          status: 'failed',
          reason: failureReason(error, VALIDATION_RETRY.maximumAttempts),
        };
      }
    }),
  );
  const verdicts = verdictsOf(wanted, outcomes);
  return { verdicts, summary: summarizeValidation(wanted, outcomes, verdicts) };
}

/** The running spread engine moves to the newest snapshot; without one running, nothing is to be told. */
async function tellTheEngine(): Promise<void> {
  await getExternalWorkflowHandle(SPREAD_ENGINE_WORKFLOW_ID)
    .signal(snapshotSavedSignal)
    .catch(() => undefined);
}

/** Settings parsed, or a non-retryable failure naming every bad key (nothing fetched, nothing written). */
function parseInput(input: unknown): PairDiscoverySettings {
  const parsed = PairDiscoveryInputSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
  );
  throw ApplicationFailure.create({
    type: INVALID_DISCOVERY_SETTINGS,
    message: `invalid discovery settings: ${problems.join('; ')}`,
    nonRetryable: true,
    details: [problems],
  });
}

function fromTuple(t: InstrumentTuple): Instrument {
  const [symbol, venueSymbol, base, quote, market, tickSize, lotSize, minQuantity, maxQuantity] = t;
  return {
    symbol,
    venueSymbol,
    base,
    quote,
    market,
    tickSize,
    lotSize,
    minQuantity,
    ...(maxQuantity === null ? {} : { maxQuantity }),
    minNotional: t[9],
    trading: t[10],
  };
}

/** Why a source's fetch failed: its last attempt's own message (not Temporal's wrapper), and how many it made. */
function failureReason(error: unknown, attempts: number = SOURCE_RETRY.maximumAttempts): string {
  if (!(error instanceof ActivityFailure)) return error instanceof Error ? error.message : String(error);
  const cause = error.cause;
  const once = cause instanceof ApplicationFailure && cause.nonRetryable;
  const tries = once ? 'not retryable' : `${attempts} attempts`;
  return `${cause?.message ?? error.message} (${tries})`;
}

function countsOf(result: { universe: DiscoveryUniverse; screened: Screened }): DiscoveryCounts {
  const pairsPerDirection: Record<string, number> = {};
  for (const d of DIRECTIONS) pairsPerDirection[d.name] = 0;
  for (const d of result.screened.directions) pairsPerDirection[d.name] = d.symbolIds.length;
  return {
    answeredSources: result.universe.sources.filter((s) => s.status === 'answered').length,
    symbols: result.universe.symbols.length,
    listings: result.universe.listings.length,
    pairs: result.screened.directions.reduce((n, d) => n + d.symbolIds.length, 0),
    pairsPerDirection,
    heldOut: result.screened.heldOut.length,
    unchecked: result.screened.unchecked.length,
    rejected: result.universe.rejected.length,
  };
}

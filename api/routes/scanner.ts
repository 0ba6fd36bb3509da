import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  scannerSnapshotHead,
  scannerSnapshotHeads,
  scannerSnapshotPairs,
  type ScannerSnapshotHead,
} from '../../db/scanner-snapshots';
import {
  findTracking,
  listTrackings,
  trackingGaps,
  trackingSamples,
  TrackingOutcomeSchema,
  type TrackingRow,
} from '../../db/scanner-trackings';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import { DIRECTIONS, directionNamed } from '../../workflows/scanner/discovery/sources';
import type { ApiDependencies } from '../app';
import { refuse } from '../errors';
import { defaultScannerRef, renderTrackingExport, scannerControl, trackingParts } from '../scanner';
import { ErrorSchema } from '../schemas';

/** 3 h at 200 ms: the most samples one tracking holds (issue #14). */
export const MAX_SAMPLES_PER_TRACKING = 54_000;
/** Samples read per query when exporting a whole tracking. */
const EXPORT_PAGE = 10_000;

const directionNames = DIRECTIONS.map((d) => d.name) as [string, ...string[]];
const oneOf = (values: readonly string[]) => values.join(', ');

const DirectionQuerySchema = z.enum(directionNames, {
  error: (issue) => `unknown direction ${JSON.stringify(issue.input)}; one of ${oneOf(directionNames)}`,
});
const OutcomeQuerySchema = z.enum(TrackingOutcomeSchema.options, {
  error: (issue) =>
    `unknown outcome ${JSON.stringify(issue.input)}; one of ${oneOf(TrackingOutcomeSchema.options)}`,
});
const StateQuerySchema = z.enum(['active', 'closed'], {
  error: (issue) => `unknown state ${JSON.stringify(issue.input)}; one of active, closed`,
});

const SnapshotSummarySchema = z.object({
  version: z.number(),
  createdAt: z.string(),
  /** The version its diff is against (null for the first). */
  basedOn: z.number().nullable(),
  workflowId: z.string(),
  counts: z.record(z.string(), z.unknown()),
  failedSources: z.array(z.string()),
  priceCheck: z.enum(['run', 'not_run']),
});
const DirectionPairSchema = z.object({ symbol: z.string(), direction: z.string(), directionId: z.number() });
const SnapshotDiffSchema = z.object({
  added: z.array(DirectionPairSchema),
  delisted: z.array(DirectionPairSchema),
  addedSymbols: z.array(z.string()),
  removedSymbols: z.array(z.string()),
  idsChanged: z.boolean().optional(),
});
const SnapshotDetailSchema = SnapshotSummarySchema.extend({
  settings: z.unknown(),
  sources: z.array(z.unknown()),
  heldOut: z.array(z.unknown()),
  /** Against `basedOn` (everything is added in the first snapshot). */
  diff: SnapshotDiffSchema,
  symbols: z.number(),
  /** The pairs kept, per direction, in direction id order. */
  directions: z.array(z.object({ id: z.number(), name: z.string(), symbols: z.array(z.string()) })),
});

const TrackingIdParamsSchema = z.object({
  /** `scanner-track:<symbol>:<direction>/<run id>`, URL-encoded (`encodeURIComponent`) as one path segment. */
  id: z.string().min(1).max(200),
});
const TrackingViewSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  symbol: z.string(),
  direction: z.string(),
  directionId: z.number().nullable(),
  state: z.enum(['active', 'closed']),
  openedAt: z.string(),
  entryBps: z.number(),
  exitBps: z.number(),
  intervalMs: z.number(),
  closedAt: z.string().nullable(),
  outcome: TrackingOutcomeSchema.nullable(),
  /** Samples written and slots missed, counted at close (null while active). */
  samples: z.number().nullable(),
  gaps: z.number().nullable(),
});
const SampleViewSchema = z.object({
  seq: z.number(),
  at: z.string(),
  spotBid: z.string(),
  spotAsk: z.string(),
  perpBid: z.string(),
  perpAsk: z.string(),
  spreadBps: z.number(),
});
const GapViewSchema = z.object({
  fromSeq: z.number(),
  toSeq: z.number(),
  fromAt: z.string(),
  toAt: z.string(),
  missed: z.number(),
  reason: z.string(),
});
const EngineStateSchema = z.object({
  workflowId: z.string(),
  paused: z.boolean(),
  /** The snapshot it watches (null: the newest, once there is one). */
  version: z.number().nullable(),
  /** The figures of its last run that ended. */
  last: z
    .object({ version: z.number(), quotes: z.number(), openings: z.number(), trackersStarted: z.number() })
    .nullable(),
  /** Why it is not running although not paused (no snapshot yet, a failure). */
  problem: z.string().nullable(),
});

const trackingView = (row: TrackingRow): z.infer<typeof TrackingViewSchema> => ({
  id: row.id,
  ...trackingParts(row.id),
  symbol: row.symbol,
  direction: row.direction,
  directionId: directionNamed(row.direction)?.id ?? null,
  state: row.closed_at ? 'closed' : 'active',
  openedAt: row.opened_at.toISOString(),
  entryBps: row.entry_bps,
  exitBps: row.exit_bps,
  intervalMs: row.interval_ms,
  closedAt: row.closed_at?.toISOString() ?? null,
  outcome: row.outcome,
  samples: row.samples,
  gaps: row.gaps,
});

/**
 * The spread scanner (docs/scanner.md): discovery snapshots and their diffs, trackings with their samples
 * and gaps (and the text export), a forced discovery run, and the engine's pause, resume and state.
 */
/** What both snapshot routes show of a snapshot's row. */
const summaryOf = (head: ScannerSnapshotHead) => ({
  version: head.version,
  createdAt: head.created_at.toISOString(),
  basedOn: head.based_on,
  workflowId: head.workflow_id,
  counts: head.counts,
  failedSources: head.failed_sources,
  priceCheck: head.price_check,
});

export const scannerRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const tags = ['scanner'];
  const control = scannerControl(deps.temporal, deps.scanner ?? defaultScannerRef, {
    taskQueue: deps.taskQueue,
    readTimeoutMs: deps.temporalReadTimeoutMs,
  });
  const mutate = { access: 'mutate' } as const;

  app.get(
    '/scanner/snapshots',
    {
      schema: {
        tags,
        summary:
          'Discovery snapshots, newest first: when, counts, failed sources, the version diffed against',
        response: { 200: z.object({ snapshots: z.array(SnapshotSummarySchema) }) },
      },
    },
    async () => ({
      snapshots: (await scannerSnapshotHeads(deps.pool)).reverse().map(summaryOf),
    }),
  );

  app.get(
    '/scanner/snapshots/:version',
    {
      schema: {
        tags,
        summary: 'One snapshot: its diff against the previous (added/delisted pairs, symbols) and its pairs',
        params: z.object({ version: z.coerce.number().int().positive() }),
        response: { 200: SnapshotDetailSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { version } = request.params;
      const [head, pairs] = await Promise.all([
        scannerSnapshotHead(deps.pool, version),
        scannerSnapshotPairs(deps.pool, version),
      ]);
      if (!head || !pairs) return refuse(reply, 404, `no scanner snapshot ${version}`);
      return {
        ...summaryOf(head),
        settings: head.settings,
        sources: head.sources,
        heldOut: head.held_out,
        diff: SnapshotDiffSchema.parse(head.diff),
        symbols: pairs.symbols.length,
        directions: pairs.directions.map((d) => ({
          id: d.id,
          name: d.name,
          symbols: d.symbolIds.map((id) => pairs.symbols[id] ?? `#${id}`),
        })),
      };
    },
  );

  app.post(
    '/scanner/discovery',
    {
      config: mutate,
      schema: {
        tags,
        summary: 'Run pair discovery now, beside its schedule (409 while an on-demand run is going)',
        response: {
          202: z.object({ workflowId: z.string(), runId: z.string() }),
          409: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (_request, reply) => reply.code(202).send(await control.runDiscoveryNow()),
  );

  app.get(
    '/scanner/trackings',
    {
      schema: {
        tags,
        summary: 'Trackings, newest opened first, filtered by symbol, direction, outcome, active or closed',
        querystring: z.object({
          symbol: CanonicalSymbolSchema.optional(),
          direction: DirectionQuerySchema.optional(),
          outcome: OutcomeQuerySchema.optional(),
          state: StateQuerySchema.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ trackings: z.array(TrackingViewSchema) }), 400: ErrorSchema },
      },
    },
    async (request) => ({ trackings: (await listTrackings(deps.pool, request.query)).map(trackingView) }),
  );

  app.get(
    '/scanner/trackings/:id',
    {
      schema: {
        tags,
        summary:
          'One tracking (its id URL-encoded) with its gaps and a page of its samples from slot `from`; `nextFrom` continues',
        params: TrackingIdParamsSchema,
        querystring: z.object({
          from: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(MAX_SAMPLES_PER_TRACKING).default(1000),
        }),
        response: {
          200: z.object({
            tracking: TrackingViewSchema,
            samples: z.array(SampleViewSchema),
            /** The `from` of the next page; null when this page holds the last sample. */
            nextFrom: z.number().nullable(),
            gaps: z.array(GapViewSchema),
          }),
          400: ErrorSchema,
          404: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { from, limit } = request.query;
      const row = await findTracking(deps.pool, id);
      if (!row) return refuse(reply, 404, `no scanner tracking ${JSON.stringify(id)}`);
      // One more than asked: whether another page follows.
      const [samples, gaps] = await Promise.all([
        trackingSamples(deps.pool, id, { afterSeq: from - 1, limit: limit + 1 }),
        trackingGaps(deps.pool, id),
      ]);
      const page = samples.slice(0, limit);
      return {
        tracking: trackingView(row),
        samples: page.map((sample) => ({
          seq: sample.seq,
          at: sample.at.toISOString(),
          spotBid: sample.spot_bid,
          spotAsk: sample.spot_ask,
          perpBid: sample.perp_bid,
          perpAsk: sample.perp_ask,
          spreadBps: sample.spread_bps,
        })),
        nextFrom: samples.length > limit ? (samples[limit]?.seq ?? null) : null,
        gaps: gaps.map((gap) => ({
          fromSeq: gap.from_seq,
          toSeq: gap.to_seq,
          fromAt: gap.from_at.toISOString(),
          toAt: gap.to_at.toISOString(),
          missed: gap.missed,
          reason: gap.reason,
        })),
      };
    },
  );

  app.get(
    '/scanner/trackings/:id/export',
    {
      schema: {
        tags,
        summary:
          'One tracking as a text file (text/plain): a TRACKING header, a line per sample and gap, a CLOSED line',
        params: TrackingIdParamsSchema,
        produces: ['text/plain'],
        // Sent as text/plain, so never serialized as JSON (the schema documents and types it).
        response: { 200: z.string(), 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const row = await findTracking(deps.pool, id);
      if (!row) return refuse(reply, 404, `no scanner tracking ${JSON.stringify(id)}`);
      const samples = [];
      for (let afterSeq = -1; ;) {
        const page = await trackingSamples(deps.pool, id, { afterSeq, limit: EXPORT_PAGE });
        samples.push(...page);
        const last = page.at(-1);
        if (!last || page.length < EXPORT_PAGE) break;
        afterSeq = last.seq;
      }
      const text = renderTrackingExport(row, samples, await trackingGaps(deps.pool, id));
      const file = `${id.replace(/[^A-Za-z0-9._-]+/g, '_')}.txt`;
      return reply
        .type('text/plain; charset=utf-8')
        .header('content-disposition', `attachment; filename="${file}"`)
        .send(text);
    },
  );

  app.get(
    '/scanner/engine',
    {
      schema: {
        tags,
        summary: "The spread engine's state: paused, the snapshot it watches, its last figures, any problem",
        response: { 200: EngineStateSchema, 404: ErrorSchema, 503: ErrorSchema },
      },
    },
    async () => {
      const state = await control.engineState();
      return {
        workflowId: state.workflowId,
        paused: state.paused,
        version: state.version ?? null,
        last: state.last ?? null,
        problem: state.problem ?? null,
      };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/scanner/engine/${action}`,
      {
        config: mutate,
        schema: {
          tags,
          summary:
            action === 'pause'
              ? 'Pause the spread engine (its run stops; trackers already running go on)'
              : 'Resume the spread engine',
          response: {
            202: z.object({ workflowId: z.string(), signal: z.string() }),
            404: ErrorSchema,
            503: ErrorSchema,
          },
        },
      },
      async (_request, reply) => reply.code(202).send(await control.signalEngine(action)),
    );
  }
};

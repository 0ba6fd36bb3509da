import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { riskChanges, riskOverview } from '../../db/risk';
import { RiskLimitsSchema } from '../../domain/risk';
import {
  EngageKillSwitchSchema,
  SetRiskLimitsSchema,
  SetTradingStateSchema,
} from '../../workflows/risk/risk-messages';
import type { ApiDependencies } from '../app';
import { ControlRefused } from '../orchestrator';
import { riskControl } from '../risk';
import { ErrorSchema } from '../schemas';

const LiftBodySchema = z
  .object({
    /** The engaged incident by default. */
    incident: z.string().min(1).max(100).optional(),
    /** KEEL_KILL_SWITCH_TOKEN. Checked by the worker through a proof; never forwarded, stored or logged. */
    token: z.string().min(1, 'the kill switch token is required to lift it'),
    actor: z.string().min(1).max(100).optional(),
    reason: z.string().trim().min(1, 'say why').max(500),
  })
  .strict();

/**
 * The risk engine: trading states, limits, the kill switch. Changes go through the risk workflow (the same
 * updates the CLI sends), which records who and why; reads come from the database, where they hold.
 */
export const riskRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const tags = ['risk'];
  const control = riskControl(deps.temporal, deps.risk);
  const errors = { 400: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema };

  app.get(
    '/risk',
    {
      schema: {
        tags,
        summary: 'Trading states in force, account and global limits, the kill switch and tripped breakers',
        response: { 200: z.unknown() },
      },
    },
    async () => {
      const overview = await riskOverview(deps.pool);
      const workflow = await control.status().catch((error: unknown) => ({
        unavailable: error instanceof Error ? error.message : String(error),
      }));
      return {
        states: overview.states.map((row) => ({
          scope: row.scope,
          key: row.scope_key,
          source: row.source,
          state: row.state,
          reason: row.reason,
          actor: row.actor,
          updatedAt: row.updated_at.toISOString(),
        })),
        limits: overview.limits.map((row) => ({ scope: row.scope, key: row.scope_key, limits: row.limits })),
        killSwitch: overview.killSwitch.find((incident) => incident.lifted_at === null) ?? null,
        recentKillSwitches: overview.killSwitch,
        workflow,
      };
    },
  );

  app.get(
    '/risk/changes',
    {
      schema: {
        tags,
        summary:
          'Every change of a trading state, a limit or the kill switch, newest first: who, why, before, after',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: {
          200: z.object({ changes: z.array(z.record(z.string(), z.unknown())) }),
          400: ErrorSchema,
        },
      },
    },
    async (request) => ({ changes: await riskChanges(deps.pool, request.query.limit) }),
  );

  app.post(
    '/risk/states',
    {
      config: { access: 'mutate' },
      schema: {
        tags,
        summary:
          'Set a trading state (ACTIVE, REDUCING, HALTED) globally or for a venue, an account or a symbol',
        body: SetTradingStateSchema,
        response: { 200: z.object({ cleared: z.array(z.string()) }), ...errors },
      },
    },
    async (request) => control.setTradingState(request.body),
  );

  app.put(
    '/risk/limits',
    {
      config: { access: 'mutate' },
      schema: {
        tags,
        summary: "Replace the global or an account's limits (fields left out no longer apply there)",
        body: SetRiskLimitsSchema,
        response: { 200: z.object({ limits: RiskLimitsSchema }), ...errors },
      },
    },
    async (request) => {
      await control.setRiskLimits(request.body);
      return { limits: request.body.limits };
    },
  );

  app.post(
    '/risk/kill-switch',
    {
      config: { access: 'mutate' },
      schema: {
        tags,
        summary: 'Engage the kill switch: halt everything and cancel every open order on every venue',
        body: EngageKillSwitchSchema,
        response: { 200: z.object({ incident: z.string() }), ...errors },
      },
    },
    async (request) => control.engageKillSwitch(request.body),
  );

  app.post(
    '/risk/kill-switch/lift',
    {
      config: { access: 'mutate' },
      schema: {
        tags,
        summary: 'Lift the engaged kill switch; needs the kill switch token (KEEL_KILL_SWITCH_TOKEN)',
        body: LiftBodySchema,
        response: { 200: z.object({ incident: z.string() }), ...errors },
      },
    },
    async (request) => {
      const incident = request.body.incident ?? (await control.status()).killSwitch?.incident;
      if (!incident) throw new ControlRefused(409, 'no kill switch is engaged');
      return control.liftKillSwitch({ ...request.body, incident });
    },
  );
};

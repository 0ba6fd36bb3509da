import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { defaultVenuesConfig } from '../../config/venues';
import { SymbolConfigSchema } from '../../workflows/symbol/symbol-config';
import type { ApiDependencies } from '../app';
import { refuse } from '../errors';
import { marketRefusal } from '../market-check';
import { orchestratorControl } from '../orchestrator';
import {
  AddSymbolBodySchema,
  ControlResultSchema,
  ErrorSchema,
  SymbolDetailSchema,
  SymbolParamsSchema,
  SymbolViewSchema,
  UpdateSymbolBodySchema,
} from '../schemas';
import { venueRefusal } from '../venues';

const refusals = { 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema };
const mutate = { access: 'mutate' } as const;

/** Strategy names and params are checked against the strategy registry here, before any workflow sees them. */
function parseConfig(config: unknown) {
  const parsed = SymbolConfigSchema.safeParse(config);
  if (parsed.success) return { ok: true as const, config: parsed.data };
  const message = parsed.error.issues
    .map((issue) => `config.${issue.path.map(String).join('.')}: ${issue.message}`)
    .join('; ');
  return { ok: false as const, message };
}

/** `/symbols`: add, list, show, update, pause, resume and remove symbols through the orchestrator. */
export const symbolRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const control = orchestratorControl(deps.temporal, deps.orchestrator, {
    readTimeoutMs: deps.temporalReadTimeoutMs,
  });
  const tags = ['symbols'];
  const venues = deps.venues ?? defaultVenuesConfig();
  /** Asks the venues, through a worker, for the rules of the markets a configuration's strategies trade. */
  const markets = { temporal: deps.temporal, taskQueue: deps.taskQueue, venues };

  app.post(
    '/symbols',
    {
      config: mutate,
      schema: {
        tags,
        summary: 'Add a symbol: the orchestrator starts its workflow on the owning shard',
        body: AddSymbolBodySchema,
        response: { 201: ControlResultSchema, ...refusals },
      },
    },
    async (request, reply) => {
      const config = parseConfig(request.body.config);
      if (!config.ok) return refuse(reply, 400, config.message);
      const refusal = await venueRefusal(venues, deps.pool, config.config.venues);
      if (refusal) return refuse(reply, refusal.statusCode, refusal.message);
      const market = await marketRefusal(markets, request.body.symbol, config.config);
      if (market) return refuse(reply, 400, market);
      return reply.code(201).send(await control.addSymbol(request.body.symbol, config.config));
    },
  );

  app.get(
    '/symbols',
    {
      schema: {
        tags,
        summary: 'Every registered symbol with its shard and state',
        response: { 200: z.object({ symbols: z.array(SymbolViewSchema) }), 503: ErrorSchema },
      },
    },
    async () =>
      control.within(async () => {
        const [status, registered] = await Promise.all([control.status(), control.listRegistered()]);
        const held = await control.shardEntries(status);
        return {
          symbols: registered.map((entry) => ({
            ...entry,
            status: held.get(entry.symbol)?.status ?? 'unknown',
            problems: held.get(entry.symbol)?.problems ?? [],
            config: held.get(entry.symbol)?.config ?? null,
          })),
        };
      }),
  );

  app.get(
    '/symbols/:symbol',
    {
      schema: {
        tags,
        summary: "One symbol: configuration, state and each strategy's open orders",
        params: SymbolParamsSchema,
        response: { 200: SymbolDetailSchema, 400: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { symbol } = request.params;
      const found = await control.within(async () => {
        const entry = await control.registered(symbol);
        return entry && { entry, state: await control.symbolState(entry.workflowId) };
      });
      if (!found) return refuse(reply, 404, `${symbol} is not registered`);
      const { entry, state } = found;
      return {
        ...entry,
        status: state?.status ?? 'unknown',
        problems: state?.problems ?? [],
        config: state?.config ?? null,
        strategies: state?.strategies ?? [],
        run: state?.run,
      };
    },
  );

  app.put(
    '/symbols/:symbol',
    {
      config: mutate,
      schema: {
        tags,
        summary: "Replace a symbol's configuration",
        params: SymbolParamsSchema,
        body: UpdateSymbolBodySchema,
        response: { 200: ControlResultSchema, ...refusals },
      },
    },
    async (request, reply) => {
      const config = parseConfig(request.body.config);
      if (!config.ok) return refuse(reply, 400, config.message);
      const refusal = await venueRefusal(venues, deps.pool, config.config.venues);
      if (refusal) return refuse(reply, refusal.statusCode, refusal.message);
      const market = await marketRefusal(markets, request.params.symbol, config.config);
      if (market) return refuse(reply, 400, market);
      return control.updateSymbol(request.params.symbol, config.config);
    },
  );

  app.delete(
    '/symbols/:symbol',
    {
      config: mutate,
      schema: {
        tags,
        summary: 'Remove a symbol: its workflow cancels its open orders, then completes',
        params: SymbolParamsSchema,
        response: { 202: ControlResultSchema, ...refusals },
      },
    },
    async (request, reply) => reply.code(202).send(await control.removeSymbol(request.params.symbol)),
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/symbols/:symbol/${action}`,
      {
        config: mutate,
        schema: {
          tags,
          summary: action === 'pause' ? 'Pause one symbol (cancels its resting orders)' : 'Resume one symbol',
          params: SymbolParamsSchema,
          response: { 200: ControlResultSchema, ...refusals },
        },
      },
      async (request) => control[action](request.params.symbol),
    );
  }
};

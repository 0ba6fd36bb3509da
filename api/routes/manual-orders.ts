import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LedgerStatusSchema } from '../../db/order-ledger';
import { ClientOrderIdSchema } from '../../domain/ids';
import {
  checkAmendShape,
  checkOrderShape,
  ManualAmendShape,
  ManualOrderShape,
  type ManualCommandInput,
  type ManualCommandResult,
} from '../../workflows/strategies/manual/manual-params';
import { MANUAL_ORDER_FAILURES, manualOrderUpdate } from '../../workflows/symbol/symbol-messages';
import type { ApiDependencies } from '../app';
import { refuse } from '../errors';
import { orchestratorControl, temporalUnavailable } from '../orchestrator';
import { ErrorSchema, SymbolParamsSchema } from '../schemas';
import { inFlightUpdateLane } from '../workflow-lanes';

/**
 * How long a manual order's request waits for the symbol workflow to carry it out before answering 202:
 * the order path retries until the venue's answer is known, which during a venue outage takes as long as
 * the outage (the order is still placed exactly once, and shows in the ledger's views).
 */
export const MANUAL_ORDER_WAIT_MS = 20_000;

const OrderViewSchema = z.object({
  clientOrderId: z.string(),
  status: LedgerStatusSchema,
  venueOrderId: z.string().nullable(),
  filledQuantity: z.string(),
  averagePrice: z.string().nullable(),
  fee: z.string(),
  feeAsset: z.string().nullable(),
  rejection: z.string().nullable(),
  denial: z.string().nullable(),
  denialRule: z.string().nullable(),
});
const ResultSchema = z.object({
  kind: z.enum(['place', 'amend', 'cancel']),
  order: OrderViewSchema.nullable(),
  replaced: OrderViewSchema.nullable().optional(),
  note: z.string().optional(),
});
const AcceptedSchema = z.object({ updateId: z.string(), message: z.string() });
/** The venue rejected the order, or the risk check denied it: recorded in the ledger, never resting. */
const RefusedOrderSchema = ErrorSchema.extend({ result: ResultSchema });

const OrderParamsSchema = SymbolParamsSchema.extend({ clientOrderId: ClientOrderIdSchema });
const refusals = {
  400: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  422: RefusedOrderSchema,
  502: ErrorSchema,
  503: ErrorSchema,
};
const mutate = { access: 'mutate' } as const;

/**
 * A client's own id for the request: sent again (its answer lost), it returns the first request's answer
 * instead of placing a second order. It names the workflow update, which Temporal runs once per id within a
 * run of the symbol's workflow (a run lasts up to 1,000 manual orders or its history bound).
 */
const IdempotencyHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1 to 100 letters, digits or _ . : -')
    .optional(),
});

const STATUS_OF_FAILURE: Record<string, number> = {
  [MANUAL_ORDER_FAILURES.invalid]: 400,
  [MANUAL_ORDER_FAILURES['not-found']]: 404,
  [MANUAL_ORDER_FAILURES.conflict]: 409,
  [MANUAL_ORDER_FAILURES.failed]: 502,
};

/** Why the order the command placed (or the amend's replacement) is not on the book, if the ledger says so. */
function refusalOf(result: ManualCommandResult): string | undefined {
  const order = result.kind === 'cancel' ? undefined : result.order;
  if (order?.status === 'rejected') return `the venue rejected ${order.clientOrderId}: ${order.rejection}`;
  if (order?.status === 'denied') return `the risk check denied ${order.clientOrderId}: ${order.denial}`;
  return undefined;
}

/**
 * `/symbols/:symbol/manual-orders`: an operator's orders through the symbol's manual strategy (the symbol
 * workflow's `manualOrder` update, which the `temporal` CLI sends as well). The answer is the ledger's view
 * of the order; a refused command is a 4xx saying why, and nothing was recorded.
 */
export const manualOrderRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const control = orchestratorControl(deps.temporal, deps.orchestrator, {
    readTimeoutMs: deps.temporalReadTimeoutMs,
  });
  const waitMs = deps.manualOrderWaitMs ?? MANUAL_ORDER_WAIT_MS;
  const tags = ['manual orders'];

  const send = async (
    reply: FastifyReply,
    symbol: string,
    command: ManualCommandInput,
    created: boolean,
    idempotencyKey: string | undefined,
  ) => {
    const entry = await control.within(() => control.registered(symbol));
    if (!entry) return refuse(reply, 404, `${symbol} is not registered`);
    const handle = deps.temporal.workflow.getHandle(entry.workflowId);
    let result: ManualCommandResult | 'waiting';
    const updateId = idempotencyKey === undefined ? randomUUID() : `manual:${command.kind}:${idempotencyKey}`;
    try {
      result = await inFlightUpdateLane(entry.workflowId, async () => {
        const update = await handle.startUpdate(manualOrderUpdate, {
          args: [command],
          updateId,
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        });
        const outcome = update.result();
        outcome.catch(() => undefined);
        const timer = new AbortController();
        const waited = sleep(waitMs, 'waiting' as const, { signal: timer.signal }).catch(
          () => 'waiting' as const,
        );
        return Promise.race([outcome, waited]).finally(() => timer.abort());
      });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause;
        const type = cause && 'type' in cause && typeof cause.type === 'string' ? cause.type : '';
        return refuse(reply, STATUS_OF_FAILURE[type] ?? 400, cause?.message ?? error.message);
      }
      if (error instanceof WorkflowNotFoundError)
        return refuse(reply, 409, `the workflow of ${symbol} is not running (is it being removed?)`);
      const unavailable = temporalUnavailable(error, control.readTimeoutMs);
      if (unavailable) return refuse(reply, 503, unavailable);
      throw error;
    }
    if (result === 'waiting')
      return reply.code(202).send({
        updateId,
        message: `accepted; still being carried out after ${waitMs / 1000} s (the venue is slow to answer): see GET /symbols/${symbol}/orders`,
      });
    const refusal = refusalOf(result);
    if (refusal) return reply.code(422).send({ error: 'Unprocessable Entity', message: refusal, result });
    return reply.code(created ? 201 : 200).send(result);
  };

  app.post(
    '/symbols/:symbol/manual-orders',
    {
      config: mutate,
      schema: {
        tags,
        summary: "Place an order through the symbol's manual strategy (exactly once, under its risk limits)",
        params: SymbolParamsSchema,
        headers: IdempotencyHeadersSchema,
        body: ManualOrderShape.superRefine(checkOrderShape),
        response: { 201: ResultSchema, 202: AcceptedSchema, ...refusals },
      },
    },
    async (request, reply) =>
      send(
        reply,
        request.params.symbol,
        { kind: 'place', ...request.body },
        true,
        request.headers['idempotency-key'],
      ),
  );

  app.patch(
    '/symbols/:symbol/manual-orders/:clientOrderId',
    {
      config: mutate,
      schema: {
        tags,
        summary:
          'Amend a resting manual order: it is cancelled and a replacement placed under a new client order id',
        params: OrderParamsSchema,
        headers: IdempotencyHeadersSchema,
        body: ManualAmendShape.superRefine(checkAmendShape),
        response: { 200: ResultSchema, 202: AcceptedSchema, ...refusals },
      },
    },
    async (request, reply) =>
      send(
        reply,
        request.params.symbol,
        { kind: 'amend', clientOrderId: request.params.clientOrderId, ...request.body },
        false,
        request.headers['idempotency-key'],
      ),
  );

  app.delete(
    '/symbols/:symbol/manual-orders/:clientOrderId',
    {
      config: mutate,
      schema: {
        tags,
        summary: 'Cancel a resting manual order',
        params: OrderParamsSchema,
        response: { 200: ResultSchema, 202: AcceptedSchema, ...refusals },
      },
    },
    async (request, reply) =>
      send(
        reply,
        request.params.symbol,
        { kind: 'cancel', clientOrderId: request.params.clientOrderId },
        false,
        undefined,
      ),
  );
};

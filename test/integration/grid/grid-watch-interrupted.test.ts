import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import type { FastifyInstance } from 'fastify';
import { orchestratorControl } from '../../../api/orchestrator';
import {
  ConnectorError,
  type ConnectorFactory,
  type ExchangeConnector,
} from '../../../connectors/exchange-connector';
import { authHeader, createSimWorld, testOrchestratorRef, type Harness } from '../../support/harness';
import { waitFor } from '../../support/wait';
import { gridConfig, gridParams, startGridHarness } from './grid-kit';

/**
 * A command (here a pause) interrupts the grid's watch while one of its venue calls is in flight, and that
 * call then fails as venues do now and then (a 5xx, retryable). The interruption is the workflow's own
 * doing: the grid must pause as asked, not fail. (Found by the chaos test, which interrupts watches under
 * 5xx faults: the grid went `failed` with "watchOrders: SERVER_ERROR ...".)
 */
const SYMBOL = 'WIN-USDT';

describe('a watch interrupted by a command while a venue call fails', () => {
  const sim = createSimWorld([SYMBOL]);
  const market = sim.exchange.market('binance', 'spot');
  /** Set when the next watch's open-orders call should fail once its cancellation has arrived. */
  let failOnCancel: { armed: boolean; waiting: boolean } = { armed: false, waiting: false };
  const connectors: ConnectorFactory = (venue, kind, account) => {
    const real = sim.connectors(venue, kind, account);
    const flaky: ExchangeConnector = Object.create(real) as ExchangeConnector;
    flaky.openOrders = async (symbol) => {
      const context = Context.current();
      if (!failOnCancel.armed || context.info.activityType !== 'watchOrders') return real.openOrders(symbol);
      failOnCancel = { armed: false, waiting: true };
      // In flight at the venue when the watch is cancelled; the venue then answers 503.
      await new Promise((resolve) =>
        context.cancellationSignal.addEventListener('abort', resolve, { once: true }),
      );
      failOnCancel.waiting = false;
      throw new ConnectorError('retryable', 'SERVER_ERROR: Internal error; unable to process your request.');
    };
    return flaky;
  };
  const ref = testOrchestratorRef('gridwatchint', { shardCount: 1 });
  let harness: Harness;
  let app: FastifyInstance;

  before(async () => {
    const started = await startGridHarness('grid_watch_interrupted', connectors, ref);
    harness = started;
    ({ app } = started);
  });
  after(() => harness.stop());

  test('the grid pauses as asked, healthy, instead of failing', async () => {
    const control = orchestratorControl(harness.client, ref);
    const added = await control.addSymbol(
      SYMBOL,
      gridConfig('spot', gridParams({ referencePrice: '101', watchMs: 5000 })),
    );
    await waitFor('the grid laid out', () => market.openOrders('keel', SYMBOL).length === 2);

    failOnCancel = { armed: true, waiting: false };
    await waitFor('a watch with a venue call in flight', () => failOnCancel.waiting);
    const paused = await app.inject({ method: 'POST', url: `/symbols/${SYMBOL}/pause`, headers: authHeader });
    assert.equal(paused.statusCode, 200, paused.body);

    const state = await waitFor('the pause to take effect', async () => {
      const current = await control.symbolState(added.workflowId ?? '');
      return current && ['paused', 'degraded', 'failed'].includes(current.status) ? current : undefined;
    });
    assert.equal(failOnCancel.waiting, false, 'the in-flight call failed after the cancellation');
    assert.deepEqual({ status: state.status, problems: state.problems }, { status: 'paused', problems: [] });
    assert.deepEqual(market.openOrders('keel', SYMBOL), [], 'paused: nothing resting');
  });
});

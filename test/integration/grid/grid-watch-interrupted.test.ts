import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import proto from '@temporalio/proto';
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
 * 5xx faults: the grid went `failed` with "watchOrders: SERVER_ERROR ...".) The same holds when the watch
 * gives up on the venue before the cancellation has reached it: Temporal would have retried it, and only
 * the cancellation stopped that. (Also found by the chaos test: "watchOrders: RATE_LIMITED ...".)
 */
const SYMBOL = 'WIN-USDT';
const SECOND = 'WIN2-USDT';
const CANCEL_REQUESTED =
  proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED;

describe('a watch interrupted by a command while a venue call fails', () => {
  const sim = createSimWorld([SYMBOL, SECOND]);
  const market = sim.exchange.market('binance', 'spot');
  /** Set when the next watch's open-orders call should fail once its cancellation has arrived. */
  let failOnCancel: { armed: boolean; waiting: boolean } = { armed: false, waiting: false };
  /**
   * Set when the next watch's open-orders call should fail as soon as the server holds the watch's
   * cancellation, before a heartbeat has brought it to the activity; `unaware` says whether it had not.
   */
  let failBeforeCancelArrives: { workflowId: string; armed: boolean; unaware?: boolean } | undefined;
  const cancelRequested = async (workflowId: string) => {
    const { raw } = await harness.client.workflow.getHandle(workflowId).describe();
    return (raw.pendingActivities ?? []).some(
      (activity) => activity.activityType?.name === 'watchOrders' && activity.state === CANCEL_REQUESTED,
    );
  };
  const connectors: ConnectorFactory = (venue, kind, account) => {
    const real = sim.connectors(venue, kind, account);
    const flaky: ExchangeConnector = Object.create(real) as ExchangeConnector;
    // Watches poll, as on a venue without a private order stream: the call that fails is the poll.
    flaky.watchOrders = undefined;
    flaky.openOrders = async (symbol) => {
      const context = Context.current();
      const failing = failBeforeCancelArrives;
      if (symbol === SECOND && failing?.armed && context.info.activityType === 'watchOrders') {
        failing.armed = false;
        while (!(await cancelRequested(failing.workflowId))) await context.sleep(20).catch(() => undefined);
        failing.unaware = !context.cancellationSignal.aborted;
        // Not a transient error the watch rides out: it gives up at once, and Temporal would retry it.
        throw new Error('socket hang up');
      }
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

  test('the grid pauses as asked when its watch failed after the cancellation, before it arrived', async () => {
    const control = orchestratorControl(harness.client, ref);
    const added = await control.addSymbol(
      SECOND,
      gridConfig('spot', gridParams({ referencePrice: '101', watchMs: 5000 })),
    );
    const workflowId = added.workflowId ?? '';
    await waitFor('the grid laid out', () => market.openOrders('keel', SECOND).length === 2);
    const post = (action: 'pause' | 'resume') =>
      app.inject({ method: 'POST', url: `/symbols/${SECOND}/${action}`, headers: authHeader });

    // A heartbeat may bring the cancellation to the watch first (then it only returns, as above): try again.
    for (let attempt = 1; ; attempt += 1) {
      const failing: NonNullable<typeof failBeforeCancelArrives> = { workflowId, armed: true };
      failBeforeCancelArrives = failing;
      await waitFor('a watch with a venue call in flight', () => !failing.armed);
      assert.equal((await post('pause')).statusCode, 200);
      const state = await waitFor('the pause to take effect', async () => {
        const current = await control.symbolState(workflowId);
        return current && ['paused', 'degraded', 'failed'].includes(current.status) ? current : undefined;
      });
      assert.deepEqual(
        { status: state.status, problems: state.problems },
        { status: 'paused', problems: [] },
      );
      assert.deepEqual(market.openOrders('keel', SECOND), [], 'paused: nothing resting');
      if (failing.unaware || attempt === 3) {
        assert.equal(failing.unaware, true, 'the watch failed before it knew of its cancellation');
        break;
      }
      assert.equal((await post('resume')).statusCode, 200);
      await waitFor('the grid laid out again', () => market.openOrders('keel', SECOND).length === 2);
    }
  });
});

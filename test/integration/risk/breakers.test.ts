import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { riskControl } from '../../../api/risk';
import { riskOverview } from '../../../db/risk';
import { startAlertReceiver } from '../../support/alert-receiver';
import {
  createSimWorld,
  startHarness,
  testOrchestratorRef,
  testRiskRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { addThroughApi, gridConfig, gridParams, restingAre } from '../grid/grid-kit';

const SYMBOL = 'LAT-USDT';
const SLACK_PATH = '/slack/hook';
const TELEGRAM_PATH = '/tg/bot42:tok/sendMessage';

describe('circuit breakers on a live worker: a slow venue trips the latency breaker, recovers, and alerts once each way', () => {
  const sim = createSimWorld([SYMBOL]);
  const market = sim.exchange.market('binance', 'spot');
  // Fast breakers; only the latency breaker can fire here (the others are out of reach or off).
  const ref = testRiskRef('breakers', {
    breakers: {
      everyMs: 300,
      latency: { windowMs: 2_000, p99Ms: 250, minCalls: 3, state: 'REDUCING' },
      errors: { minCalls: 1_000 },
      stale: { maxAgeMs: 600_000 },
      denials: { perMinute: 10_000 },
    },
  });
  let receiver: Awaited<ReturnType<typeof startAlertReceiver>>;
  let stack: Harness | undefined;
  let client: Harness['client'];
  let database: TestDatabase;
  let app: FastifyInstance;

  const breakerStates = async () =>
    (await riskOverview(database.pool)).states.map((row) => ({
      scope: row.scope,
      key: row.scope_key,
      source: row.source,
      state: row.state,
      actor: row.actor,
    }));

  before(async () => {
    receiver = await startAlertReceiver();
    // The simulator's clock starts in 2024 and moves only when stepped: brought to now, its quotes are
    // fresh for the stale breaker. Another participant's two-sided quote (mid 101) gives the book both sides.
    sim.exchange.step(Date.now() - sim.exchange.clock.now());
    const venue = sim.exchange.venue('binance');
    venue.deposit('spot', 'mm', 'LAT', '100');
    venue.deposit('spot', 'mm', 'USDT', '100000');
    for (const [side, price] of [
      ['buy', '100.5'],
      ['sell', '101.5'],
    ] as const)
      market.placeOrder({ account: 'mm', symbol: SYMBOL, side, type: 'limit', quantity: '1', price });

    const started = await startHarness({
      database: 'risk_breakers',
      worker: {
        deps: {
          connectors: sim.connectors,
          settleWindowMs: () => 0,
          // Watches poll instead of following the order stream, so the grid keeps calling the venue.
          orderFeeds: false,
          alerts: {
            slackWebhookUrl: `http://127.0.0.1:${receiver.port}${SLACK_PATH}`,
            telegramBotToken: '42:tok',
            telegramChatId: '7',
            telegramApiUrl: `http://127.0.0.1:${receiver.port}/tg`,
            perMinute: 20,
          },
        },
      },
      orchestrator: testOrchestratorRef('breakers', { shardCount: 1 }),
      risk: ref,
    });
    stack = started;
    ({ database, app, client } = started);
  });
  after(async () => {
    sim.exchange.faults.clear();
    await stack?.client.workflow
      .getHandle(ref.workflowId)
      .terminate('test over')
      .catch(() => undefined);
    await stack?.stop();
    await receiver?.close();
  });

  test('trips binance to REDUCING under 400 ms of latency, lifts it once the latency is gone, one message per incident and channel', async () => {
    const risk = riskControl(client, ref);

    // A grid keeps the worker calling the venue: its watch polls every 100 ms.
    await addThroughApi(app, SYMBOL, gridConfig('spot', gridParams()));
    await waitFor('the grid laid out', restingAre(market, SYMBOL, ['buy 90', 'buy 95']), 20_000, 100);
    const calm = await waitFor(
      'the breakers looking at a busy, healthy venue',
      async () => {
        const status = await risk.status();
        const { rows } = await database.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM venue_calls WHERE venue = 'binance' AND at > now() - interval '2 seconds'`,
        );
        return status.lastLookAt !== null && status.lookFailing === null && (rows[0]?.n ?? 0) >= 3 && status;
      },
      10_000,
      100,
    );
    assert.deepEqual(calm.tripped, [], 'binance is ACTIVE before the fault');
    assert.deepEqual(await breakerStates(), []);
    assert.equal(receiver.received.length, 0, 'no alert yet');

    // Every request to binance now takes 400 ms more, above the 250 ms bound.
    const fault = sim.exchange.faults.add({ venue: 'binance', op: '*', fault: 'latency', latencyMs: 400 });
    const slowSince = Date.now();
    await waitFor(
      'binance REDUCING by the latency breaker',
      async () => (await breakerStates()).length > 0,
      10_000,
      100,
    );
    const tripMs = Date.now() - slowSince;
    assert.deepEqual(await breakerStates(), [
      {
        scope: 'venue',
        key: 'binance',
        source: 'breaker:latency',
        state: 'REDUCING',
        actor: 'breaker:latency',
      },
    ]);
    const [row] = (await riskOverview(database.pool)).states;
    assert.match(row?.reason ?? '', /^round-trip p99 \d+ ms over \d+ calls in 2 s is above 250 ms$/);
    const tripped = await waitFor('the trip in the status', async () => {
      const status = await risk.status();
      return status.tripped.length > 0 && status.tripped;
    });
    assert.deepEqual(
      tripped.map(({ breaker, scope, key, state }) => ({ breaker, scope, key, state })),
      [{ breaker: 'latency', scope: 'venue', key: 'binance', state: 'REDUCING' }],
    );

    // The venue is fast again: the breaker lifts by itself.
    assert.ok(sim.exchange.faults.remove(fault.id), 'the fault was installed');
    const fastSince = Date.now();
    await waitFor('binance ACTIVE again', async () => (await breakerStates()).length === 0, 15_000, 100);
    const liftMs = Date.now() - fastSince;
    assert.deepEqual((await risk.status()).tripped, []);

    // Both incidents reach both channels, then nothing more however long the breakers keep looking.
    await waitFor('two alerts on each channel', () => receiver.received.length >= 4, 10_000, 100);
    await sleep(5 * 300);
    const slack = receiver.received.filter((request) => request.path === SLACK_PATH);
    const telegram = receiver.received.filter((request) => request.path === TELEGRAM_PATH);
    assert.equal(receiver.received.length, 4, JSON.stringify(receiver.received));
    assert.equal(slack.length, 2);
    assert.equal(telegram.length, 2);
    for (const request of receiver.received) {
      assert.equal(request.method, 'POST');
      assert.equal(request.contentType, 'application/json');
    }
    const slackTexts = slack.map((request) => {
      assert.deepEqual(Object.keys(request.body as object), ['text']);
      return (request.body as { text: string }).text;
    });
    const telegramTexts = telegram.map((request) => {
      const body = request.body as { chat_id: string; text: string };
      assert.deepEqual(Object.keys(body).sort(), ['chat_id', 'text']);
      assert.equal(body.chat_id, '7');
      return body.text;
    });
    const byKind = (texts: string[]) => [
      texts.filter((text) =>
        /^Keel: latency breaker tripped, venue binance is REDUCING: round-trip p99 \d+ ms/.test(text),
      ),
      texts.filter((text) => /^Keel: latency breaker lifted, venue binance is ACTIVE again: /.test(text)),
    ];
    for (const [channel, texts] of [
      ['slack', slackTexts],
      ['telegram', telegramTexts],
    ] as const) {
      const [trips, lifts] = byKind(texts);
      assert.equal(trips?.length, 1, `${channel}: one trip message: ${texts.join(' | ')}`);
      assert.equal(lifts?.length, 1, `${channel}: one lift message: ${texts.join(' | ')}`);
    }
    assert.deepEqual(
      [...slackTexts].sort(),
      [...telegramTexts].sort(),
      'the same two messages on each channel',
    );

    // The alerts table holds the two incidents, each sent once per channel.
    const { rows: sent } = await database.pool.query<{
      incident: string;
      channel: string;
      status: string;
      attempts: number;
    }>('SELECT incident, channel, status, attempts FROM alerts ORDER BY incident, channel');
    // Incident ids start with the risk workflow's first run id, so a new risk workflow never reuses one.
    assert.deepEqual(
      sent.map((row) => ({ ...row, incident: row.incident.replace(/^[0-9a-f-]{36}:/, '') })),
      [
        { incident: 'breaker:latency:venue:binance#1', channel: 'slack', status: 'sent', attempts: 1 },
        { incident: 'breaker:latency:venue:binance#1', channel: 'telegram', status: 'sent', attempts: 1 },
        { incident: 'breaker:latency:venue:binance:lifted#2', channel: 'slack', status: 'sent', attempts: 1 },
        {
          incident: 'breaker:latency:venue:binance:lifted#2',
          channel: 'telegram',
          status: 'sent',
          attempts: 1,
        },
      ],
    );
    // The change log records the trip and the lift, both by the breaker.
    const { rows: changes } = await database.pool.query<{ actor: string; after: unknown }>(
      `SELECT actor, after FROM risk_changes WHERE scope = 'venue' AND scope_key = 'binance' ORDER BY id`,
    );
    assert.deepEqual(changes, [
      { actor: 'breaker:latency', after: { 'breaker:latency': 'REDUCING' } },
      { actor: 'breaker:latency', after: {} },
    ]);
    console.log(
      `latency breaker: tripped ${tripMs} ms after the fault, lifted ${liftMs} ms after it was removed`,
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { riskOverview } from '../../../db/risk';
import {
  authHeader,
  createSimWorld,
  readAuthHeader,
  startHarness,
  testOrchestratorRef,
  testRiskRef,
  type Harness,
} from '../../support/harness';
import { temporalCli } from '../../support/temporal-cli';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { gridParams } from '../grid/grid-kit';

const KILL_SWITCH_TOKEN = 'kill-switch-token-' + 'z'.repeat(20);

describe('risk engine through the API: limits in the order path, trading states, bad input', () => {
  const sim = createSimWorld(['POS-USDT', 'HLT-USDT']);
  const keel = sim.connectors('binance', 'spot', 'keel');
  let database: TestDatabase;
  let app: FastifyInstance;
  let stack: Harness | undefined;
  // Breakers look rarely here: this file is about operators' changes.
  const riskRef = testRiskRef('risk-control', { breakers: { everyMs: 60_000 } });

  const resting = async (symbol: string) =>
    (await keel.openOrders(symbol)).map((order) => `${order.side} ${Number(order.price)}`).sort();
  const ledger = async (symbol: string, status?: string) => {
    const answer = await app.inject({
      method: 'GET',
      url: `/symbols/${symbol}/orders${status ? `?status=${status}` : ''}`,
      headers: readAuthHeader,
    });
    assert.equal(answer.statusCode, 200, answer.body);
    return answer.json<{ orders: Array<Record<string, string | null>> }>().orders;
  };
  const call = (method: 'POST' | 'PUT', url: string, payload: unknown) =>
    app.inject({ method, url, headers: authHeader, payload: payload as object });
  const grid = (symbol: string, risk: Record<string, unknown>) =>
    call('POST', '/symbols', {
      symbol,
      config: {
        venues: [{ venue: 'binance', market: 'spot', account: 'keel' }],
        strategies: [{ name: 'grid', params: gridParams({ referencePrice: '101' }) }],
        risk,
      },
    });

  before(async () => {
    const started = await startHarness({
      database: 'risk_control',
      worker: {
        deps: { connectors: sim.connectors, settleWindowMs: () => 0, killSwitchToken: KILL_SWITCH_TOKEN },
      },
      orchestrator: testOrchestratorRef('risk-control', { shardCount: 1 }),
      risk: riskRef,
    });
    stack = started;
    ({ database, app } = started);
  });
  after(() => stack?.stop());

  test('a grid that would pass its position limit has the breaching order denied, recorded and shown', async () => {
    // Long grid 90..110 around 101 wants buys at 95 and 90: with both resting it could hold 2, over 1.5.
    assert.equal((await grid('POS-USDT', { maxPosition: '1.5' })).statusCode, 201);
    await waitFor(
      'the first buy and the denial',
      async () => (await ledger('POS-USDT', 'denied')).length === 1,
    );
    assert.deepEqual(await resting('POS-USDT'), ['buy 95']);
    const [denied] = await ledger('POS-USDT', 'denied');
    assert.equal(denied?.denialRule, 'maxPosition');
    assert.match(denied?.denial ?? '', /could reach 2 with this buy of 1; the limit is 1\.5/);
    assert.equal(denied?.venueOrderId, null, 'never sent');
    const symbol = await app.inject({ method: 'GET', url: '/symbols/POS-USDT', headers: readAuthHeader });
    assert.match(symbol.body, /the risk check denied its last order: maxPosition/);
  });

  test('bad input is refused with a clear error and changes nothing', async () => {
    const before = await riskOverview(database.pool);
    const refusals = [
      [
        await call('PUT', '/risk/limits', { scope: 'global', limits: { maxPosition: '-1' }, reason: 'x' }),
        400,
        /maxPosition/,
      ],
      [
        await call('PUT', '/risk/limits', { scope: 'global', limits: { maxOpenOrders: -3 }, reason: 'x' }),
        400,
        /maxOpenOrders/,
      ],
      [
        await call('PUT', '/risk/limits', { scope: 'global', limits: { maxLeverage: 3 }, reason: 'x' }),
        400,
        /maxLeverage/,
      ],
      [await call('POST', '/risk/states', { scope: 'global', state: 'PAUSED', reason: 'x' }), 400, /state/],
      [await call('POST', '/risk/states', { scope: 'symbol', state: 'HALTED', reason: 'x' }), 400, /key/],
      [
        await call('POST', '/risk/states', { scope: 'planet', key: 'mars', state: 'HALTED', reason: 'x' }),
        400,
        /scope/,
      ],
      [await call('POST', '/risk/kill-switch/lift', { reason: 'no token' }), 400, /token/],
    ] as const;
    for (const [answer, status, message] of refusals) {
      assert.equal(answer.statusCode, status, answer.body);
      assert.match(answer.json<{ message: string }>().message, message);
    }
    assert.deepEqual(await riskOverview(database.pool), before);
    const changes = await app.inject({ method: 'GET', url: '/risk/changes', headers: readAuthHeader });
    assert.deepEqual(changes.json<{ changes: unknown[] }>().changes, []);
  });

  test('an operator HALTs a symbol: its orders are denied as halted; ACTIVE lets it trade again; both recorded', async () => {
    const halted = await call('POST', '/risk/states', {
      scope: 'symbol',
      key: 'HLT-USDT',
      state: 'HALTED',
      actor: 'alice',
      reason: 'listing looks wrong',
    });
    assert.equal(halted.statusCode, 200, halted.body);
    assert.equal((await grid('HLT-USDT', {})).statusCode, 201);
    await waitFor('both buys denied', async () => (await ledger('HLT-USDT', 'denied')).length === 2);
    assert.deepEqual(await resting('HLT-USDT'), []);
    const status = await app.inject({ method: 'GET', url: '/status', headers: readAuthHeader });
    assert.equal(status.statusCode, 503, 'a halt is not healthy');
    const risk = status.json<{ checks: { risk: { ok: boolean; detail: string } } }>().checks.risk;
    assert.equal(risk.ok, false);
    assert.match(risk.detail, /symbol HLT-USDT HALTED by operator: listing looks wrong/);
    for (const row of await ledger('HLT-USDT', 'denied')) {
      assert.equal(row.denialRule, 'halted');
      assert.match(row.denial ?? '', /operator: listing looks wrong/);
    }
    assert.equal(
      (
        await call('POST', '/risk/states', {
          scope: 'symbol',
          key: 'HLT-USDT',
          state: 'ACTIVE',
          actor: 'alice',
          reason: 'checked',
        })
      ).statusCode,
      200,
    );
    const resume = await app.inject({ method: 'POST', url: '/symbols/HLT-USDT/pause', headers: authHeader });
    assert.equal(resume.statusCode, 200, resume.body);
    assert.equal(
      (await app.inject({ method: 'POST', url: '/symbols/HLT-USDT/resume', headers: authHeader })).statusCode,
      200,
    );
    await waitFor(
      'the grid trading again',
      async () => JSON.stringify(await resting('HLT-USDT')) === '["buy 90","buy 95"]',
    );
    const healthy = await app.inject({ method: 'GET', url: '/status', headers: readAuthHeader });
    assert.equal(healthy.json<{ checks: { risk: { ok: boolean } } }>().checks.risk.ok, true, healthy.body);
    const changes = (
      await app.inject({ method: 'GET', url: '/risk/changes', headers: readAuthHeader })
    ).json<{
      changes: Array<{ actor: string; reason: string; after: unknown }>;
    }>();
    assert.deepEqual(
      changes.changes.map((change) => [change.actor, change.reason, change.after]),
      [
        ['alice', 'checked', {}],
        ['alice', 'listing looks wrong', { operator: 'HALTED' }],
      ],
    );
  });

  test('from the temporal CLI, as README shows: a signal sets a state, an update sets limits, a malformed signal is dropped', async () => {
    const id = riskRef.workflowId;
    await temporalCli(
      'workflow',
      'signal',
      '--workflow-id',
      id,
      '--name',
      'setTradingState',
      '--input',
      '{"scope":"account","key":"binance:other","state":"REDUCING","actor":"carol","reason":"rebalancing"}',
    );
    await waitFor('the state from the CLI', async () =>
      (await riskOverview(database.pool)).states.some(
        (row) => row.scope_key === 'binance:other' && row.state === 'REDUCING' && row.actor === 'carol',
      ),
    );
    await temporalCli(
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      id,
      '--name',
      'setRiskLimits',
      '--input',
      '{"scope":"account","key":"binance:other","limits":{"maxPosition":"2","maxOrdersPerSecond":5},"reason":"new account"}',
    );
    assert.deepEqual(
      (await riskOverview(database.pool)).limits.map((row) => [row.scope_key, row.limits]),
      [['binance:other', { maxPosition: '2', maxOrdersPerSecond: 5 }]],
    );
    await temporalCli(
      'workflow',
      'signal',
      '--workflow-id',
      id,
      '--name',
      'setTradingState',
      '--input',
      '{"scope":"global","state":"PAUSED","reason":"no such state"}',
    );
    const status = async () =>
      JSON.parse(
        (await temporalCli('workflow', 'query', '--workflow-id', id, '--type', 'status', '--output', 'json'))
          .stdout,
      ) as {
        queryResult: Array<{ dropped: number }>;
      };
    await waitFor('the malformed signal dropped', async () => (await status()).queryResult[0]?.dropped === 1);
    assert.equal(
      (await riskOverview(database.pool)).states.some((row) => row.scope === 'global'),
      false,
    );
    await temporalCli(
      'workflow',
      'signal',
      '--workflow-id',
      id,
      '--name',
      'setTradingState',
      '--input',
      '{"scope":"account","key":"binance:other","state":"ACTIVE","actor":"carol","reason":"done"}',
    );
    await waitFor(
      'the state lifted',
      async () =>
        !(await riskOverview(database.pool)).states.some((row) => row.scope_key === 'binance:other'),
    );
  });

  test('the kill switch cannot be lifted with a wrong token, and is lifted with the right one', async () => {
    const engaged = await call('POST', '/risk/kill-switch', { actor: 'bob', reason: 'drill' });
    assert.equal(engaged.statusCode, 200, engaged.body);
    const { incident } = engaged.json<{ incident: string }>();
    await waitFor('every open order cancelled', async () => (await keel.openOrders()).length === 0);
    const wrong = await call('POST', '/risk/kill-switch/lift', {
      token: 'not-the-token',
      reason: 'drill over',
    });
    assert.equal(wrong.statusCode, 403, wrong.body);
    assert.doesNotMatch(wrong.body, /not-the-token|kill-switch-token/);
    assert.equal((await riskOverview(database.pool)).killSwitch[0]?.lifted_at, null);
    const lifted = await call('POST', '/risk/kill-switch/lift', {
      token: KILL_SWITCH_TOKEN,
      reason: 'drill over',
    });
    assert.equal(lifted.statusCode, 200, lifted.body);
    assert.deepEqual(lifted.json(), { incident });
    const overview = await riskOverview(database.pool);
    assert.notEqual(overview.killSwitch[0]?.lifted_at, null);
    assert.equal(
      overview.states.some((row) => row.source === 'kill-switch'),
      false,
    );
  });
});

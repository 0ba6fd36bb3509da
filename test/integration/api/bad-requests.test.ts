import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp, type ApiDependencies } from '../../../api/app';
import { statusQuery } from '../../../workflows/orchestrator/messages';
import {
  authHeader,
  createSimWorld,
  readAuthHeader,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { waitFor } from '../../support/wait';

/** A request to inject, with its URL as a plain string. */
type Request = InjectOptions & { url: string };

const quoteConfig = {
  venues: [{ venue: 'binance', market: 'spot', account: 'keel' }],
  strategies: [
    {
      name: 'quote',
      params: { quantity: '1', referencePrice: '100', levels: 2, requoteIntervalMs: 3_600_000 },
    },
  ],
};

describe('bad requests: a clear 4xx named after its status, and nothing changes', () => {
  const sim = createSimWorld(['BTC-USDT']);
  const binance = sim.connectors('binance', 'spot', 'keel');
  const ref = testOrchestratorRef('badreq', { shardCount: 2 });
  let stack: Harness | undefined;
  let app: FastifyInstance;
  let client: Client;
  let deps: ApiDependencies;
  const others: FastifyInstance[] = [];

  before(async () => {
    const started = await startHarness({
      database: 'api_bad_requests',
      worker: { deps: { connectors: sim.connectors } },
      orchestrator: ref,
    });
    stack = started;
    ({ app, client } = started);
    deps = { temporal: client, pool: started.database.pool, taskQueue: started.taskQueue, orchestrator: ref };
  });
  after(async () => {
    for (const other of others) await other.close();
    await stack?.stop();
  });

  test('global pause and resume refuse any body or query string with a 400 that says why, and pause nothing', async () => {
    const added = await app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: { symbol: 'BTC-USDT', config: quoteConfig },
    });
    assert.equal(added.statusCode, 201, added.body);
    const orders = await waitFor('four resting orders', async () => {
      const open = await binance.openOrders('BTC-USDT');
      return open.length === 4 ? open.map((order) => order.clientOrderId).sort() : undefined;
    });

    const json = { ...authHeader, 'content-type': 'application/json' };
    for (const action of ['pause', 'resume'] as const) {
      const cases: Request[] = [
        { method: 'POST', url: `/${action}`, headers: authHeader, payload: { symbol: 'NOPE-USDT' } },
        { method: 'POST', url: `/${action}`, headers: authHeader, payload: { symbol: 'BTC-USDT' } },
        { method: 'POST', url: `/${action}`, headers: authHeader, payload: {} },
        { method: 'POST', url: `/${action}`, headers: json, payload: 'null' },
        { method: 'POST', url: `/${action}`, headers: json, payload: '[]' },
        { method: 'POST', url: `/${action}`, headers: json, payload: '"BTC-USDT"' },
        {
          method: 'POST',
          url: `/${action}`,
          headers: { ...authHeader, 'content-type': 'text/plain' },
          payload: 'BTC-USDT',
        },
        { method: 'POST', url: `/${action}?symbol=NOPE-USDT`, headers: authHeader },
      ];
      for (const request of cases) {
        const response = await app.inject(request);
        const shown = `${request.url} ${String(request.payload && JSON.stringify(request.payload))}`;
        assert.equal(response.statusCode, 400, `${shown}: ${response.body}`);
        const body = response.json<{ error: string; message: string }>();
        assert.equal(body.error, 'Bad Request', shown);
        assert.match(body.message, /acts on every symbol and takes no body/, shown);
        assert.match(body.message, new RegExp(`/symbols/:symbol/${action}`), shown);
      }
    }

    // Nothing changed: the root is not paused, the symbol still runs, its orders still rest.
    const status = await client.workflow.getHandle(ref.workflowId).query(statusQuery);
    assert.equal(status.globalPaused, false);
    const detail = await app.inject({ method: 'GET', url: '/symbols/BTC-USDT', headers: readAuthHeader });
    assert.equal(detail.json<{ paused: boolean; status: string }>().paused, false);
    assert.equal(detail.json<{ status: string }>().status, 'running');
    assert.deepEqual(
      (await binance.openOrders('BTC-USDT')).map((order) => order.clientOrderId).sort(),
      orders,
    );

    // Without a body the global routes still work.
    const paused = await app.inject({ method: 'POST', url: '/pause', headers: authHeader });
    assert.equal(paused.statusCode, 200, paused.body);
    assert.equal(paused.json<{ affected: number }>().affected, 1);
    const resumed = await app.inject({ method: 'POST', url: '/resume', headers: authHeader });
    assert.equal(resumed.statusCode, 200, resumed.body);
  });

  test('each refusal answers with its own status name and a message', async () => {
    const closed = await buildApp(deps); // no token configured
    others.push(closed);
    const cases: Array<{ app: FastifyInstance; request: Request; status: number; error: string }> = [
      {
        app: closed,
        request: {
          method: 'POST',
          url: '/symbols',
          headers: authHeader,
          payload: { symbol: 'BTC-USDT', config: quoteConfig },
        },
        status: 403,
        error: 'Forbidden',
      },
      {
        app: closed,
        request: { method: 'GET', url: '/symbols', headers: readAuthHeader },
        status: 403,
        error: 'Forbidden',
      },
      {
        app,
        request: {
          method: 'POST',
          url: '/symbols',
          headers: authHeader,
          payload: { symbol: 'A'.repeat(400_000) },
        },
        status: 413,
        error: 'Payload Too Large',
      },
      {
        app,
        request: { method: 'GET', url: `/symbols/${'X'.repeat(200)}-USDT`, headers: readAuthHeader },
        status: 414,
        error: 'URI Too Long',
      },
      {
        app,
        request: {
          method: 'DELETE',
          url: `/symbols/${'X'.repeat(5000)}`,
          headers: authHeader,
        },
        status: 414,
        error: 'URI Too Long',
      },
      {
        app,
        request: {
          method: 'POST',
          url: '/symbols',
          headers: { ...authHeader, 'content-type': 'application/xml' },
          payload: '<symbol>BTC-USDT</symbol>',
        },
        status: 415,
        error: 'Unsupported Media Type',
      },
      {
        app,
        request: {
          method: 'POST',
          url: '/symbols',
          headers: { ...authHeader, 'content-type': 'application/json' },
          payload: '{"symbol":',
        },
        status: 400,
        error: 'Bad Request',
      },
      {
        app,
        request: { method: 'GET', url: '/nowhere', headers: readAuthHeader },
        status: 404,
        error: 'Not Found',
      },
      {
        app,
        request: { method: 'DELETE', url: '/symbols/ZZZ-USDT', headers: authHeader },
        status: 404,
        error: 'Not Found',
      },
      {
        app,
        request: {
          method: 'POST',
          url: '/symbols',
          headers: authHeader,
          payload: { symbol: 'BTC-USDT', config: quoteConfig },
        },
        status: 409,
        error: 'Conflict',
      },
    ];
    const wrong: string[] = [];
    for (const { app: target, request, status, error } of cases) {
      const response = await target.inject(request);
      const shown = `${request.method} ${request.url.slice(0, 40)}`;
      const body = response.json<{ error?: unknown; message?: unknown }>();
      if (response.statusCode !== status || body.error !== error || typeof body.message !== 'string')
        wrong.push(`${shown}: expected ${status} ${error}, got ${response.body.slice(0, 200)}`);
      assert.ok(response.body.length < 1000, `${shown}: the answer does not echo the request`);
    }
    assert.deepEqual(wrong, []);
  });
});

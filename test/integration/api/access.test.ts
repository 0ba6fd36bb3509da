import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp, type ApiDependencies } from '../../../api/app';
import {
  authHeader,
  createSimWorld,
  readAuthHeader,
  startHarness,
  TEST_API_TOKEN,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';

/** A request to inject, with its URL as a plain string. */
type Request = InjectOptions & { url: string };

/** Every read that shows data: the ledger, the registry, one symbol, the readiness report. */
const READS = [
  '/symbols',
  '/symbols/BTC-USDT',
  '/symbols/BTC-USDT/orders',
  '/symbols/BTC-USDT/fills',
  '/symbols/BTC-USDT/positions',
  '/status',
];
const validBody = {
  symbol: 'BTC-USDT',
  config: { venues: [{ venue: 'binance' }], strategies: [{ name: 'idle' }] },
};

describe('API access: authenticate first, reads need a token, /health and /docs stay open', () => {
  const sim = createSimWorld(['BTC-USDT']);
  const ref = testOrchestratorRef('access', { shardCount: 2 });
  let stack: Harness | undefined;
  let app: FastifyInstance;
  let deps: ApiDependencies;
  const others: FastifyInstance[] = [];

  /** Another API on the same Temporal, database and root, with other tokens. */
  const appWith = async (tokens: Pick<ApiDependencies, 'apiToken' | 'readToken'>) => {
    const other = await buildApp({ ...deps, ...tokens });
    others.push(other);
    return other;
  };

  before(async () => {
    const started = await startHarness({
      database: 'api_access',
      worker: { deps: { connectors: sim.connectors } },
      orchestrator: ref,
    });
    stack = started;
    app = started.app;
    deps = {
      temporal: started.client,
      pool: started.database.pool,
      taskQueue: started.taskQueue,
      orchestrator: ref,
    };
  });
  after(async () => {
    for (const other of others) await other.close();
    await stack?.stop();
  });

  test('an unauthenticated request is refused with 401 before its body or params are looked at', async () => {
    const cases: Request[] = [
      { method: 'POST', url: '/symbols', payload: { symbol: 42, config: 'nope' } },
      { method: 'POST', url: '/symbols', payload: '{', headers: { 'content-type': 'application/json' } },
      { method: 'POST', url: '/symbols', payload: { symbol: 'A'.repeat(400_000) } },
      { method: 'POST', url: '/symbols', payload: '<x/>', headers: { 'content-type': 'application/xml' } },
      { method: 'PUT', url: '/symbols/not_a_symbol', payload: { config: 1 } },
      { method: 'POST', url: '/symbols/not_a_symbol/pause' },
      { method: 'GET', url: '/symbols/not_a_symbol/orders?limit=-5' },
      { method: 'POST', url: '/pause', payload: { symbol: 'NOPE-USDT' } },
    ];
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }])
      for (const request of cases) {
        const response = await app.inject({
          ...request,
          headers: { ...request.headers, ...headers },
        });
        const shown = `${request.method} ${request.url.slice(0, 60)} ${JSON.stringify(headers)}`;
        assert.equal(response.statusCode, 401, `${shown}: ${response.body.slice(0, 200)}`);
        assert.deepEqual(
          response.json(),
          { error: 'Unauthorized', message: 'a valid bearer token is required' },
          shown,
        );
        assert.equal(response.headers['www-authenticate'], 'Bearer', shown);
      }
  });

  test('reads need the read token or the mutation token; /health and /docs stay open', async () => {
    for (const url of READS) {
      const none = await app.inject({ method: 'GET', url });
      assert.equal(none.statusCode, 401, `GET ${url} without a token: ${none.body.slice(0, 200)}`);
      const wrong = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.statusCode, 401, `GET ${url} with a wrong token`);
      for (const headers of [readAuthHeader, authHeader]) {
        const allowed = await app.inject({ method: 'GET', url, headers });
        assert.ok(
          [200, 404].includes(allowed.statusCode),
          `GET ${url} with a token: ${allowed.statusCode} ${allowed.body.slice(0, 200)}`,
        );
      }
    }
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'HEAD', url: '/health' })).statusCode, 200);
    const docs = await app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(docs.statusCode, 200);
    assert.ok(docs.json<{ paths: Record<string, unknown> }>().paths['/symbols']);
    assert.ok([200, 302].includes((await app.inject({ method: 'GET', url: '/docs' })).statusCode));
  });

  test('the read token does not mutate', async () => {
    const mutations: Request[] = [
      { method: 'POST', url: '/symbols', payload: validBody },
      { method: 'PUT', url: '/symbols/BTC-USDT', payload: { config: validBody.config } },
      { method: 'DELETE', url: '/symbols/BTC-USDT' },
      { method: 'POST', url: '/symbols/BTC-USDT/pause' },
      { method: 'POST', url: '/pause' },
      { method: 'POST', url: '/resume' },
      {
        method: 'POST',
        url: '/symbols/BTC-USDT/manual-orders',
        payload: { side: 'buy', type: 'market', quantity: '1' },
      },
      { method: 'PATCH', url: '/symbols/BTC-USDT/manual-orders/K1', payload: { price: '1' } },
      { method: 'DELETE', url: '/symbols/BTC-USDT/manual-orders/K1' },
    ];
    for (const request of mutations) {
      const response = await app.inject({ ...request, headers: readAuthHeader });
      assert.equal(response.statusCode, 401, `${request.method} ${request.url}: ${response.body}`);
    }
    const listed = await app.inject({ method: 'GET', url: '/symbols', headers: readAuthHeader });
    assert.deepEqual(listed.json(), { symbols: [] });
  });

  test('every route of the OpenAPI document but /health refuses a request without a token, and says so', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    }>();
    const checked: string[] = [];
    for (const [path, operations] of Object.entries(document.paths))
      for (const [method, operation] of Object.entries(operations)) {
        const url = path.replace('{symbol}', 'BTC-USDT');
        const response = await app.inject({ method: method.toUpperCase() as 'GET', url });
        if (path === '/health') {
          assert.equal(response.statusCode, 200);
          assert.equal(operation.security, undefined, 'GET /health needs no token');
          continue;
        }
        assert.equal(response.statusCode, 401, `${method} ${path}: ${response.body.slice(0, 200)}`);
        assert.deepEqual(operation.security, [{ bearer: [] }], `${method} ${path} documents its token`);
        checked.push(`${method} ${path}`);
      }
    assert.ok(checked.length >= 12, `checked ${checked.join(', ')}`);
  });

  test('without any token configured, reads and mutations answer 403 naming the setting to set', async () => {
    const closed = await appWith({});
    const read = await closed.inject({ method: 'GET', url: '/symbols', headers: readAuthHeader });
    assert.equal(read.statusCode, 403, read.body);
    assert.equal(read.json<{ error: string }>().error, 'Forbidden');
    assert.match(read.json<{ message: string }>().message, /KEEL_API_READ_TOKEN/);
    const status = await closed.inject({ method: 'GET', url: '/status' });
    assert.equal(status.statusCode, 403, status.body);
    const mutation = await closed.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: validBody,
    });
    assert.equal(mutation.statusCode, 403, mutation.body);
    assert.match(mutation.json<{ message: string }>().message, /KEEL_API_TOKEN/);
    assert.equal((await closed.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  });

  test('with only the mutation token configured, that token reads too and nothing else does', async () => {
    const mutateOnly = await appWith({ apiToken: TEST_API_TOKEN });
    assert.equal((await mutateOnly.inject({ method: 'GET', url: '/symbols' })).statusCode, 401);
    assert.equal(
      (await mutateOnly.inject({ method: 'GET', url: '/symbols', headers: readAuthHeader })).statusCode,
      401,
    );
    const read = await mutateOnly.inject({ method: 'GET', url: '/symbols', headers: authHeader });
    assert.equal(read.statusCode, 200, read.body);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { listSymbolsQuery } from '../../../workflows/orchestrator/messages';
import {
  authHeader,
  createSimWorld,
  listExecutions,
  readAuthHeader,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { uniqueName } from '../../support/test-env';

const hugeString = fc.integer({ min: 1_000, max: 200_000 }).map((length) => 'A'.repeat(length));
const symbolLike = fc.oneof(
  fc.string(),
  hugeString,
  fc.constantFrom('BTC-USDT', 'btc-usdt', 'BTC_USDT', '', '-', 'A-B', 'ZZZ-USDT', '../etc', '%00'),
  fc.integer(),
  fc.constant(null),
);
const venueLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      venue: fc.oneof(fc.constantFrom('binance', 'nasdaq', ''), fc.string(), fc.integer()),
      market: fc.oneof(fc.constantFrom('spot', 'perp', 'swap'), fc.anything()),
      account: fc.oneof(fc.string(), hugeString, fc.integer()),
    },
    { requiredKeys: [] },
  ),
);
const strategyLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      name: fc.oneof(fc.constantFrom('quote', 'idle', 'grid', ''), fc.string(), fc.integer()),
      params: fc.oneof(
        fc.anything(),
        fc.record(
          {
            quantity: fc.oneof(fc.string(), fc.double(), fc.constant('1')),
            levels: fc.oneof(fc.integer(), fc.string()),
          },
          { requiredKeys: [] },
        ),
      ),
      venue: fc.oneof(fc.integer(), fc.string()),
    },
    { requiredKeys: [] },
  ),
);
/** Near-valid configurations: every one is broken somewhere (missing venues, or a bad value). */
const configLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      venues: fc.oneof(fc.array(venueLike, { maxLength: 6 }), fc.anything()),
      strategies: fc.oneof(fc.array(strategyLike, { maxLength: 10 }), fc.anything()),
      risk: fc.oneof(
        fc.anything(),
        fc.record({ maxOpenOrders: fc.anything(), maxOrderNotional: fc.anything() }),
      ),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  ),
);
const bodyLike = fc.oneof(
  fc.anything(),
  fc.record({ symbol: symbolLike, config: configLike }, { requiredKeys: [] }),
  fc.record({ symbol: symbolLike, config: configLike, more: fc.anything() }),
);

describe('fuzzed API input never yields a 5xx or a started workflow', () => {
  const sim = createSimWorld(['BTC-USDT']);
  const ref = testOrchestratorRef('fuzz', { shardCount: 2 });
  const taskQueue = uniqueName('orch-fuzz');
  let client: Client;
  let app: FastifyInstance;
  let stack: Harness | undefined;
  let created = 0;

  const inject = async (options: InjectOptions) => {
    const response = await app.inject(options);
    const shown = JSON.stringify(options).slice(0, 300);
    assert.ok(
      response.statusCode < 500,
      `${response.statusCode} for ${shown}: ${response.body.slice(0, 300)}`,
    );
    if (response.statusCode >= 400) {
      const body = response.json<{ message?: unknown }>();
      assert.equal(typeof body.message, 'string', 'every refusal says why');
    }
    if (response.statusCode === 201) created += 1;
    return response;
  };

  before(async () => {
    const started = await startHarness({
      database: 'orch_fuzz',
      taskQueue,
      worker: { deps: { connectors: sim.connectors } },
      orchestrator: ref,
    });
    stack = started;
    ({ client, app } = started);
  });
  after(() => stack?.stop());

  test('POST /symbols with arbitrary bodies', async () => {
    await fc.assert(
      fc.asyncProperty(bodyLike, async (body) => {
        await inject({ method: 'POST', url: '/symbols', headers: authHeader, payload: body as object });
      }),
      { numRuns: 300 },
    );
  });

  test('raw, non-JSON and oversized payloads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.constantFrom('{', '{"symbol":', 'null', '[]', '"x"', '{"symbol":"BTC-USDT"}'),
        ),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        async (payload, contentType) => {
          await inject({
            method: 'POST',
            url: '/symbols',
            headers: { ...authHeader, 'content-type': contentType },
            payload,
          });
        },
      ),
      { numRuns: 100 },
    );
    await inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: { symbol: 'A'.repeat(400_000) },
    });
  });

  test('symbol routes with arbitrary and unknown symbols', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.constantFrom('ZZZ-USDT', 'BTC-USDT', 'x'.repeat(5000), '%', '..')),
        fc.constantFrom('GET', 'DELETE', 'PUT', 'POST-pause', 'POST-resume'),
        configLike,
        async (symbol, action, config) => {
          const url = `/symbols/${encodeURIComponent(symbol)}`;
          if (action === 'GET') await inject({ method: 'GET', url, headers: readAuthHeader });
          else if (action === 'DELETE') await inject({ method: 'DELETE', url, headers: authHeader });
          else if (action === 'PUT')
            await inject({ method: 'PUT', url, headers: authHeader, payload: { config } });
          else await inject({ method: 'POST', url: `${url}/${action.slice(5)}`, headers: authHeader });
        },
      ),
      { numRuns: 200 },
    );
  });

  test('nothing was registered or started', async () => {
    assert.equal(created, 0, 'no fuzzed body happened to be valid');
    assert.deepEqual(await client.workflow.getHandle(ref.workflowId).query(listSymbolsQuery), []);
    const started = await listExecutions(
      client,
      `WorkflowType = 'symbolWorkflow' AND WorkflowId STARTS_WITH '${ref.input?.idPrefix}'`,
    );
    assert.deepEqual(started, []);
  });
});

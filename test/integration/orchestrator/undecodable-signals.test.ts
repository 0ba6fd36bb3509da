import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { shardWorkflowId } from '../../../domain/ids';
import {
  listSymbolsQuery,
  shardStatusQuery,
  shardSymbolsQuery,
  statusQuery,
} from '../../../workflows/orchestrator/messages';
import { symbolStateQuery } from '../../../workflows/symbol/symbol-messages';
import {
  authHeader,
  capturedLogs,
  createSimWorld,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { temporalCli } from '../../support/temporal-cli';
import { waitFor } from '../../support/wait';

/**
 * Payloads the SDK's default converter cannot decode, as the real `temporal` CLI sends them. The CLI
 * refuses `json/*` input that is not JSON, but checks before decoding `--input-base64`: `1234` is JSON,
 * and its base64 decoding (bytes d7 6d f8) is not.
 */
const undecodable = {
  'unknown encoding': ['--input-meta', 'encoding=application/x-fuzz', '--input', '{}'],
  'json/plain that is not JSON': ['--input-meta', 'encoding=json/plain', '--input-base64', '--input', '1234'],
  'binary/null with bytes': ['--input-meta', 'encoding=binary/null', '--input-base64', '--input', 'AQID'],
};

const idleConfig = {
  venues: [{ venue: 'binance', market: 'spot', account: 'keel' }],
  strategies: [{ name: 'idle', params: {} }],
};

describe('undecodable signal payloads are logged and dropped by every workflow, which goes on serving', () => {
  const sim = createSimWorld(['UND-USDT', 'UND2-USDT']);
  const ref = testOrchestratorRef('undecodable', { shardCount: 1 });
  const idPrefix = ref.input?.idPrefix ?? '';
  const shardId = shardWorkflowId(idPrefix, 0);
  let client: Client;
  let app: FastifyInstance;
  let stack: Harness | undefined;

  before(async () => {
    const started = await startHarness({
      database: 'undecodable',
      worker: { deps: { connectors: sim.connectors } },
      orchestrator: ref,
    });
    stack = started;
    ({ client, app } = started);
  });
  after(() => stack?.stop());

  const signal = (workflowId: string, name: string, payload: string[]) =>
    temporalCli('workflow', 'signal', '--workflow-id', workflowId, '--name', name, ...payload);
  const addSymbol = (symbol: string) =>
    app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: { symbol, config: idleConfig },
    });
  const symbolStatus = async (workflowId: string) =>
    (await client.workflow.getHandle(workflowId).query(symbolStateQuery)).status;
  /** The workflow's history has no failed workflow task: no signal ever reached the SDK undecoded. */
  const assertNoFailedTask = async (workflowId: string) => {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const failed = (history.events ?? []).filter((event) => event.workflowTaskFailedEventAttributes);
    assert.deepEqual(
      failed.map((event) => event.workflowTaskFailedEventAttributes?.failure?.message),
      [],
      `${workflowId} failed a workflow task`,
    );
  };
  /** The WARN lines workflow `workflowId` logged since `from` whose message matches `pattern`. */
  const drops = (workflowId: string, pattern: RegExp, from: number) =>
    capturedLogs
      .slice(from)
      .filter((entry) => entry.meta?.workflowId === workflowId && pattern.test(entry.message));

  test('root, shard and symbol: each kind of undecodable payload on each of their signals', async () => {
    const added = await addSymbol('UND-USDT');
    assert.equal(added.statusCode, 201, added.body);
    const symbolId = added.json<{ workflowId: string }>().workflowId;
    await waitFor('UND-USDT running', async () => (await symbolStatus(symbolId)) === 'running');
    const root = client.workflow.getHandle(ref.workflowId);
    const droppedBefore = (await root.query(statusQuery)).droppedSignals;
    const logsBefore = capturedLogs.length;

    const targets = [
      {
        workflowId: ref.workflowId,
        signals: ['addSymbol', 'removeSymbol', 'updateSymbol', 'pause', 'resume'],
        logged: /^dropped \w+ signal/,
      },
      {
        workflowId: shardId,
        signals: ['shardCommands', 'symbolStopped', 'symbolStatus'],
        logged: /^dropped \w+ signal/,
      },
      { workflowId: symbolId, signals: ['symbolCommand'], logged: /^dropped symbolCommand signal/ },
    ];
    for (const { workflowId, signals } of targets)
      for (const name of signals)
        for (const payload of Object.values(undecodable)) await signal(workflowId, name, payload);
    const sent = (target: (typeof targets)[number]) =>
      target.signals.length * Object.keys(undecodable).length;

    // The root counts its drops, and still answers queries.
    const [rootTarget] = targets;
    assert.ok(rootTarget);
    await waitFor(
      'the root to count every dropped signal',
      async () => (await root.query(statusQuery)).droppedSignals === droppedBefore + sent(rootTarget),
      30_000,
    );
    assert.deepEqual(
      (await root.query(listSymbolsQuery)).map((entry) => [entry.symbol, entry.paused]),
      [['UND-USDT', false]],
      'a payload-less pause (binary/null with bytes) is not a global pause',
    );
    // The shard and the symbol count theirs too.
    const [, shardTarget, symbolTarget] = targets;
    assert.ok(shardTarget && symbolTarget);
    assert.equal(
      (await client.workflow.getHandle(shardId).query(shardStatusQuery)).droppedSignals,
      sent(shardTarget),
    );
    assert.equal(
      (await client.workflow.getHandle(symbolId).query(symbolStateQuery)).droppedSignals,
      sent(symbolTarget),
    );
    // Each workflow logged each drop, saying why.
    for (const target of targets)
      await waitFor(`${target.workflowId} to log ${sent(target)} drops`, () =>
        drops(target.workflowId, target.logged, logsBefore).length === sent(target) ? true : undefined,
      );

    // The root accepts an update, and the shard carries it out: a second symbol starts.
    const second = await addSymbol('UND2-USDT');
    assert.equal(second.statusCode, 201, second.body);
    const secondId = second.json<{ workflowId: string }>().workflowId;
    await waitFor('UND2-USDT running', async () => (await symbolStatus(secondId)) === 'running');
    assert.deepEqual(
      (await client.workflow.getHandle(shardId).query(shardSymbolsQuery)).map((entry) => entry.symbol).sort(),
      ['UND-USDT', 'UND2-USDT'],
    );
    // The symbol still takes its shard's commands: pause it through the API.
    const paused = await app.inject({ method: 'POST', url: '/symbols/UND-USDT/pause', headers: authHeader });
    assert.equal(paused.statusCode, 200, paused.body);
    await waitFor('UND-USDT paused', async () => (await symbolStatus(symbolId)) === 'paused');

    for (const { workflowId } of targets) await assertNoFailedTask(workflowId);
  });
});

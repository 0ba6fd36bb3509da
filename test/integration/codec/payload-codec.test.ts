import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { AesGcmPayloadCodec } from '../../../temporal/payload-codec';
import { smokeWorkflow } from '../../../workflows';
import {
  authHeader,
  readAuthHeader,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { base64Text, payloadsIn, type JsonPayload } from '../../support/history-payloads';
import { testEnvironment, uniqueName } from '../../support/test-env';

const base64 = (value: string) => Buffer.from(value).toString('base64');

describe('encrypted payloads: ciphertext on the server, plaintext through the codec endpoint with the key', () => {
  const codec = new AesGcmPayloadCodec({ keys: new Map([['k1', randomBytes(32)]]), activeKeyId: 'k1' });
  const canary = `canary-${randomBytes(6).toString('hex')}`;
  let stack: Harness | undefined;
  let app: FastifyInstance;
  let workflowId: string;
  let result: { rowId: number | string; symbol: string };

  before(async () => {
    const started = await startHarness({
      database: 'payload_codec',
      orchestrator: testOrchestratorRef('codec'),
      payloadCodec: codec,
    });
    stack = started;
    app = started.app;
    workflowId = uniqueName('codec-smoke');
    // The worker and the client hold the key: the workflow runs, and its result reads in plaintext.
    result = await started.client.workflow.execute(smokeWorkflow, {
      workflowId,
      taskQueue: started.taskQueue,
      args: [{ symbol: 'BTC-USDT', note: canary }],
    });
  });
  after(async () => stack?.stop());

  test('the client and worker with the key run it as if nothing were encrypted', () => {
    assert.equal(result.symbol, 'BTC-USDT');
  });

  test("the server's stored history holds ciphertext only: read without the key, and by the temporal CLI", async () => {
    const keyless = new Client({ connection: stack!.client.connection, namespace: 'default' });
    const history = await keyless.workflow.getHandle(workflowId).fetchHistory();
    const payloads = payloadsIn(history);
    assert.ok(payloads.length >= 4, `input, activity input and result, workflow result (${payloads.length})`);
    for (const payload of payloads) {
      assert.equal(base64Text(payload.metadata.encoding!), 'binary/encrypted');
      assert.equal(base64Text(payload.metadata['encryption-key-id']!), 'k1');
      assert.ok(!base64Text(payload.data).includes(canary));
    }
    const { stdout } = await promisify(execFile)(testEnvironment().temporalCli, [
      'workflow',
      'show',
      '--address',
      testEnvironment().temporalAddress,
      '--workflow-id',
      workflowId,
      '--output',
      'json',
    ]);
    assert.ok(stdout.includes(base64('binary/encrypted')), 'the CLI shows the sealed encoding');
    assert.ok(!stdout.includes(canary) && !stdout.includes(base64(canary).slice(0, 12)), 'and no plaintext');
  });

  test('the codec endpoint opens them for an operator with a token; without one it refuses, CORS allowed', async () => {
    const keyless = new Client({ connection: stack!.client.connection, namespace: 'default' });
    const payloads = payloadsIn(await keyless.workflow.getHandle(workflowId).fetchHistory());
    const opened = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: { ...readAuthHeader, 'x-namespace': 'default', origin: 'http://127.0.0.1:8233' },
      payload: { payloads },
    });
    assert.equal(opened.statusCode, 200, opened.body);
    assert.equal(opened.headers['access-control-allow-origin'], 'http://127.0.0.1:8233');
    const decoded = opened.json<{ payloads: JsonPayload[] }>().payloads;
    assert.equal(decoded.length, payloads.length);
    assert.ok(decoded.every((payload) => base64Text(payload.metadata.encoding!) === 'json/plain'));
    assert.ok(
      decoded.some((payload) => base64Text(payload.data).includes(canary)),
      'the workflow input in plaintext',
    );

    const anonymous = await app.inject({ method: 'POST', url: '/codec/decode', payload: { payloads } });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['access-control-allow-origin'], 'http://127.0.0.1:8233');
    const preflight = await app.inject({ method: 'OPTIONS', url: '/codec/decode' });
    assert.equal(preflight.statusCode, 204);
    assert.match(String(preflight.headers['access-control-allow-headers']), /authorization/);

    // Encoding (the UI's signals) takes the mutation token; what it seals opens again.
    const sealed = await app.inject({
      method: 'POST',
      url: '/codec/encode',
      headers: authHeader,
      payload: { payloads: decoded.slice(0, 1) },
    });
    assert.equal(sealed.statusCode, 200, sealed.body);
    const [one] = sealed.json<{ payloads: JsonPayload[] }>().payloads;
    assert.equal(base64Text(one!.metadata.encoding!), 'binary/encrypted');
    const readOnly = await app.inject({
      method: 'POST',
      url: '/codec/encode',
      headers: readAuthHeader,
      payload: { payloads: decoded.slice(0, 1) },
    });
    assert.equal(readOnly.statusCode, 401);

    // A payload under a key this codec does not hold: a 400 that says so, not a 500.
    const foreign = await new AesGcmPayloadCodec({
      keys: new Map([['k9', randomBytes(32)]]),
      activeKeyId: 'k9',
    }).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{}') }]);
    const refused = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: readAuthHeader,
      payload: { payloads: payloadsIn(foreign) },
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /key 'k9'/);
  });
});

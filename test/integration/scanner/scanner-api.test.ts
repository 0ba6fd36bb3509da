import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type ApiDependencies } from '../../../api/app';
import { defaultScannerRef, type ScannerRef } from '../../../api/scanner';
import {
  DISCOVERY_NOW_WORKFLOW_ID,
  DiscoveryAlreadyRunningError,
  runDiscoveryNow,
} from '../../../scanner/discovery-schedule';
import { DIRECTIONS } from '../../../workflows/scanner/discovery/sources';
import type { pairDiscoveryWorkflow } from '../../../workflows/scanner/discovery-workflow';
import { SPREAD_ENGINE_WORKFLOW_ID } from '../../../workflows/scanner/engine-workflow';
import {
  trackerLegs,
  trackerWorkflowId,
  type TrackerInputArg,
  type TrackerResult,
} from '../../../workflows/scanner/tracker/tracker-messages';
import {
  authHeader,
  createSimWorld,
  readAuthHeader,
  startHarness,
  TEST_API_READ_TOKEN,
  TEST_API_TOKEN,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { setTops } from './scanner-kit';

/** Symbols of this file's own: tracker ids are per (symbol, direction) on the shared dev server. */
const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
const A = `SA${tag}-USDT`;
const B = `SB${tag}-USDT`;
const MAIN = 'binance-spot>bybit-perp';
const OTHER = 'okx-spot>mexc-perp';

type Json = Record<string, unknown>;
interface TrackingView {
  id: string;
  workflowId: string;
  runId: string;
  symbol: string;
  direction: string;
  directionId: number;
  state: 'active' | 'closed';
  outcome: string | null;
  samples: number | null;
  gaps: number | null;
}
interface SampleView {
  seq: number;
  at: string;
  spotBid: string;
  spotAsk: string;
  perpBid: string;
  perpAsk: string;
  spreadBps: number;
}
interface TrackingDetail {
  tracking: TrackingView;
  samples: SampleView[];
  nextFrom: number | null;
  gaps: Json[];
}

/** The export parsed back: its header fields, sample lines, gap lines and closing fields. */
function parseExport(text: string) {
  assert.ok(text.endsWith('\n'), 'the file ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  const fields = (cells: string[]): Record<string, string> =>
    Object.fromEntries(
      cells.map((cell): [string, string] => {
        const at = cell.indexOf('=');
        return [cell.slice(0, at), cell.slice(at + 1)];
      }),
    );
  const [headerLine, ...rest] = lines;
  const [kind, ...header] = (headerLine ?? '').split('\t');
  assert.equal(kind, 'TRACKING', 'the first line is the header');
  const samples: SampleView[] = [];
  const gaps: string[][] = [];
  let closed: Record<string, string> | undefined;
  for (const line of rest) {
    assert.equal(closed, undefined, 'nothing follows the CLOSED line');
    const [what, ...cells] = line.split('\t');
    if (what === 'S') {
      assert.equal(cells.length, 7, line);
      const [seq, at, spotBid, spotAsk, perpBid, perpAsk, spreadBps] = cells as [string, ...string[]];
      samples.push({
        seq: Number(seq),
        at: at ?? '',
        spotBid: spotBid ?? '',
        spotAsk: spotAsk ?? '',
        perpBid: perpBid ?? '',
        perpAsk: perpAsk ?? '',
        spreadBps: Number(spreadBps),
      });
    } else if (what === 'GAP') gaps.push(cells);
    else if (what === 'CLOSED') closed = fields(cells);
    else assert.fail(`unknown line ${JSON.stringify(line)}`);
  }
  return { header: fields(header), samples, gaps, closed };
}

describe('the scanner API: snapshots, trackings, export, forced discovery, the engine', () => {
  const sim = createSimWorld([A, B]);
  let harness: Harness;
  let database: TestDatabase;
  let app: FastifyInstance;
  let deps: ApiDependencies;
  const scanner: ScannerRef = {
    engineWorkflowId: uniqueName('scanner-engine'),
    discoveryWorkflowId: uniqueName('scanner-discovery-now'),
    // The world's books are empty: stream validation would hold every pair out (not what this file tests).
    discoverySettings: { validation: { enabled: false } },
  };
  const others: FastifyInstance[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];

  const get = async <T = Json>(url: string, headers: Record<string, string> = readAuthHeader) => {
    const response = await app.inject({ method: 'GET', url, headers });
    return { response, body: response.json<T>() };
  };
  const expectRefusal = (response: LightMyRequestResponse, status: number, message: RegExp) => {
    assert.equal(response.statusCode, status, response.body);
    assert.match(response.json<{ message: string }>().message, message);
  };
  const trackingUrl = (id: string, rest = '') => `/scanner/trackings/${encodeURIComponent(id)}${rest}`;

  before(async () => {
    const started = await startHarness({
      database: 'scanner_api',
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
      orchestrator: testOrchestratorRef('scanner-api'),
    });
    harness = started;
    database = started.database;
    deps = {
      temporal: started.client,
      pool: database.pool,
      taskQueue: started.taskQueue,
      scanner,
      apiToken: TEST_API_TOKEN,
      readToken: TEST_API_READ_TOKEN,
    };
    app = await buildApp(deps);
    others.push(app);
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    for (const other of others) await other.close();
    await harness?.stop();
  });

  const discover = (args: Parameters<typeof pairDiscoveryWorkflow>[0]) =>
    harness.client.workflow.execute<typeof pairDiscoveryWorkflow>('pairDiscoveryWorkflow', {
      taskQueue: harness.taskQueue,
      workflowId: uniqueName('discovery'),
      args: [args],
    });

  test('snapshots: the list, one with its diff and pairs per direction; 400 for a bad version, 404 unknown', async () => {
    const off = { validation: { enabled: false } };
    const first = await discover(off);
    const second = await discover({ ...off, denylist: [{ symbol: B, note: 'test' }] });
    assert.deepEqual([first.version, second.version], [1, 2]);

    const { response, body } = await get<{ snapshots: Json[] }>('/scanner/snapshots');
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(
      body.snapshots.map((s) => [s.version, s.basedOn, s.failedSources]),
      [
        [2, 1, []],
        [1, null, []],
      ],
      'newest first, each with the version it was diffed against',
    );
    assert.deepEqual(
      body.snapshots.map((s) => (s.counts as Json).pairs),
      [12, 24],
    );
    assert.ok(body.snapshots.every((s) => !Number.isNaN(Date.parse(String(s.createdAt)))));

    const one = await get<{ diff: Json; directions: Json[]; basedOn: number | null }>('/scanner/snapshots/1');
    assert.equal(one.response.statusCode, 200, one.response.body);
    assert.equal(one.body.basedOn, null);
    assert.equal((one.body.diff.added as unknown[]).length, 24, 'everything is added in the first');
    assert.deepEqual(one.body.diff.addedSymbols, [A, B].sort());
    assert.deepEqual(
      one.body.directions.map((d) => [d.id, d.name, d.symbols]),
      DIRECTIONS.map((d) => [d.id, d.name, [A, B].sort()]),
    );

    const two = await get<{ diff: Json; directions: Json[]; heldOut: unknown[] }>('/scanner/snapshots/2');
    assert.equal(two.response.statusCode, 200, two.response.body);
    assert.deepEqual(two.body.diff.added, []);
    assert.deepEqual(
      two.body.diff.delisted,
      DIRECTIONS.map((d) => ({ symbol: B, direction: d.name, directionId: d.id })),
      'the denylisted symbol is delisted on every direction',
    );
    assert.deepEqual(two.body.diff.removedSymbols, [], 'still listed, only held out');
    assert.ok(two.body.directions.every((d) => JSON.stringify(d.symbols) === JSON.stringify([A])));
    assert.equal(two.body.heldOut.length, 12);

    for (const bad of ['abc', '1.5', '0', '-1'])
      expectRefusal((await get(`/scanner/snapshots/${bad}`)).response, 400, /version/);
    expectRefusal((await get('/scanner/snapshots/99')).response, 404, /no scanner snapshot 99/);
  });

  test('a forced discovery run: 202 and a snapshot appears; 409 while one is going; a read token cannot start one', async () => {
    assert.equal(
      defaultScannerRef.discoveryWorkflowId,
      DISCOVERY_NOW_WORKFLOW_ID,
      'the CLI and the API share the id',
    );
    assert.equal(defaultScannerRef.engineWorkflowId, SPREAD_ENGINE_WORKFLOW_ID);

    const refused = await app.inject({ method: 'POST', url: '/scanner/discovery', headers: readAuthHeader });
    assert.equal(refused.statusCode, 401, refused.body);

    const forced = await app.inject({ method: 'POST', url: '/scanner/discovery', headers: authHeader });
    assert.equal(forced.statusCode, 202, forced.body);
    const { workflowId, runId } = forced.json<{ workflowId: string; runId: string }>();
    assert.equal(workflowId, scanner.discoveryWorkflowId);
    const result = (await harness.client.workflow.getHandle(workflowId, runId).result()) as {
      version: number;
    };
    const { body } = await get<{ snapshots: Json[] }>('/scanner/snapshots');
    assert.deepEqual(body.snapshots[0], {
      ...body.snapshots[0],
      version: result.version,
      workflowId,
      basedOn: result.version - 1,
    });
    // Done: the id can be used again at once.
    const again = await app.inject({ method: 'POST', url: '/scanner/discovery', headers: authHeader });
    assert.equal(again.statusCode, 202, again.body);
    await harness.client.workflow.getHandle(workflowId).result();

    // A run on a task queue nobody polls stays running: the second request is refused, deterministically.
    const stuck = await buildApp({
      ...deps,
      scanner: {
        ...scanner,
        discoveryWorkflowId: uniqueName('scanner-discovery-stuck'),
        discoveryTaskQueue: uniqueName('nobody-polls'),
      },
    });
    others.push(stuck);
    const started = await stuck.inject({ method: 'POST', url: '/scanner/discovery', headers: authHeader });
    assert.equal(started.statusCode, 202, started.body);
    const stuckId = started.json<{ workflowId: string }>().workflowId;
    cleanups.push(() => harness.client.workflow.getHandle(stuckId).terminate('test over'));
    const second = await stuck.inject({ method: 'POST', url: '/scanner/discovery', headers: authHeader });
    expectRefusal(second, 409, /already running/);
    assert.match(second.json<{ message: string }>().message, new RegExp(stuckId));
    // The worker's runDiscoveryNow and the API refuse each other's second run alike.
    await assert.rejects(
      runDiscoveryNow(harness.client, { taskQueue: harness.taskQueue, workflowId: stuckId }),
      DiscoveryAlreadyRunningError,
    );
    await harness.client.workflow.getHandle(stuckId).terminate('test over');
  });

  test('trackings: lists and filters, one with paged samples and gaps, its export parsed back; 400s and 404s', async () => {
    const { client, taskQueue } = harness;
    const input = (
      symbol: string,
      direction: string,
      overrides: Partial<TrackerInputArg>,
    ): TrackerInputArg => ({
      symbol,
      direction,
      ...trackerLegs(direction),
      entryBps: 100,
      intervalMs: 100,
      batchSize: 5,
      flushMs: 300,
      ...overrides,
    });
    const start = (arg: TrackerInputArg) =>
      client.workflow.start('spreadTrackerWorkflow', {
        taskQueue,
        workflowId: trackerWorkflowId(arg.symbol, arg.direction),
        args: [arg],
      });
    const idOf = (handle: { workflowId: string; firstExecutionRunId: string }) =>
      `${handle.workflowId}/${handle.firstExecutionRunId}`;

    // 100 bps on A and B (binance spot → bybit perp) and on A (okx spot → mexc perp).
    setTops(sim.exchange, A, MAIN, { spot: ['99.9', '100'], perp: ['101', '101.1'] });
    setTops(sim.exchange, B, MAIN, { spot: ['99.9', '100'], perp: ['101', '101.1'] });
    setTops(sim.exchange, A, OTHER, { spot: ['99.9', '100'], perp: ['101', '101.1'] });

    const expiring = await start(input(A, MAIN, { horizonMs: 1_500 }));
    const converging = await start(input(B, MAIN, { horizonMs: 120_000 }));
    const running = await start(input(A, OTHER, { horizonMs: 600_000 }));
    cleanups.push(() => running.terminate('test over'));
    const [expired, converged, active] = [idOf(expiring), idOf(converging), idOf(running)];

    assert.equal(((await expiring.result()) as TrackerResult).outcome, 'EXPIRED');
    await waitFor('B has samples', async () => {
      const { body } = await get<TrackingDetail>(trackingUrl(converged));
      return body.samples?.length >= 8;
    });
    setTops(sim.exchange, B, MAIN, { spot: ['99.9', '100'], perp: ['100.04', '100.1'] }); // 4 bps: under the exit
    assert.equal(((await converging.result()) as TrackerResult).outcome, 'CONVERGED');
    await waitFor('the running tracking has samples', async () => {
      const { body } = await get<TrackingDetail>(trackingUrl(active));
      return body.samples?.length >= 3;
    });

    // Lists and filters.
    const ids = async (query = '') => {
      const { response, body } = await get<{ trackings: TrackingView[] }>(`/scanner/trackings${query}`);
      assert.equal(response.statusCode, 200, response.body);
      return body.trackings.map((t) => t.id).sort();
    };
    const q = (params: Record<string, string>) => `?${new URLSearchParams(params).toString()}`;
    assert.deepEqual(await ids(), [active, converged, expired].sort());
    assert.deepEqual(await ids(q({ state: 'active' })), [active]);
    assert.deepEqual(await ids(q({ state: 'closed' })), [converged, expired].sort());
    assert.deepEqual(await ids(q({ outcome: 'EXPIRED' })), [expired]);
    assert.deepEqual(await ids(q({ outcome: 'CONVERGED', state: 'closed' })), [converged]);
    assert.deepEqual(await ids(q({ outcome: 'FEED_DOWN' })), []);
    assert.deepEqual(await ids(q({ symbol: B })), [converged]);
    assert.deepEqual(await ids(q({ symbol: A, direction: MAIN })), [expired]);
    assert.deepEqual(await ids(q({ direction: OTHER })), [active]);
    assert.equal((await ids(q({ limit: '1' }))).length, 1);
    const listed = (await get<{ trackings: TrackingView[] }>(`/scanner/trackings${q({ symbol: B })}`)).body;
    assert.deepEqual(listed.trackings[0], {
      ...listed.trackings[0],
      workflowId: converging.workflowId,
      runId: converging.firstExecutionRunId,
      direction: MAIN,
      directionId: 11,
      state: 'closed',
      outcome: 'CONVERGED',
    });

    // Bad filter values: 400 naming each.
    const bad = await get(
      `/scanner/trackings${q({ direction: 'binance-spot>binance-perp', outcome: 'WON' })}`,
    );
    expectRefusal(bad.response, 400, /unknown direction "binance-spot>binance-perp"/);
    assert.match(bad.body.message as string, /unknown outcome "WON"; one of CONVERGED, EXPIRED, FEED_DOWN/);
    expectRefusal(
      (await get(`/scanner/trackings${q({ state: 'open' })}`)).response,
      400,
      /unknown state "open"/,
    );
    expectRefusal((await get(`/scanner/trackings${q({ symbol: 'btc' })}`)).response, 400, /symbol/);
    expectRefusal((await get(`/scanner/trackings${q({ limit: '0' })}`)).response, 400, /limit/);

    // One tracking: every sample, its gaps; the row's counts agree.
    const whole = await get<TrackingDetail>(trackingUrl(converged, '?limit=54000'));
    assert.equal(whole.response.statusCode, 200, whole.response.body);
    assert.equal(whole.body.tracking.id, converged);
    assert.equal(whole.body.samples.length, whole.body.tracking.samples);
    assert.equal(whole.body.nextFrom, null);
    assert.equal(
      whole.body.gaps.reduce((n, gap) => n + Number(gap.missed), 0),
      whole.body.tracking.gaps,
    );
    assert.ok(whole.body.samples.length >= 9);
    assert.equal(whole.body.samples.at(-1)?.perpBid, '100.04');

    // Paged: 3 at a time, following nextFrom, gives the same samples.
    const paged: SampleView[] = [];
    for (let from: number | null = 0; from !== null;) {
      const page: { response: LightMyRequestResponse; body: TrackingDetail } = await get<TrackingDetail>(
        trackingUrl(converged, `?from=${from}&limit=3`),
      );
      assert.ok(page.body.samples.length <= 3);
      paged.push(...page.body.samples);
      from = page.body.nextFrom;
    }
    assert.deepEqual(paged, whole.body.samples);
    expectRefusal((await get(trackingUrl(converged, '?limit=54001'))).response, 400, /limit/);
    expectRefusal((await get(trackingUrl(converged, '?from=-1'))).response, 400, /from/);

    // Unknown ids: 404, also for the longest id a tracking can have (a 31-character symbol).
    const unknown = `scanner-track:${'X'.repeat(20)}-USDTUSDTUS:binance-spot>bybit-perp/${randomUUID()}`;
    expectRefusal((await get(trackingUrl(unknown))).response, 404, /no scanner tracking/);
    expectRefusal((await get(trackingUrl(unknown, '/export'))).response, 404, /no scanner tracking/);

    // The export, parsed back, says what the JSON says.
    const exported = await app.inject({
      method: 'GET',
      url: trackingUrl(converged, '/export'),
      headers: readAuthHeader,
    });
    assert.equal(exported.statusCode, 200, exported.body);
    assert.match(String(exported.headers['content-type']), /^text\/plain/);
    const file = parseExport(exported.body);
    assert.deepEqual(file.header, {
      ...file.header,
      id: converged,
      symbol: B,
      direction: MAIN,
      direction_id: '11',
      spot: 'binance-spot',
      perp: 'bybit-perp',
      entry_bps: '100',
      exit_bps: '10',
      interval_ms: '100',
    });
    assert.deepEqual(file.samples, whole.body.samples);
    assert.equal(file.gaps.length, whole.body.gaps.length);
    assert.deepEqual(file.closed, {
      outcome: 'CONVERGED',
      closed_at: file.closed?.closed_at,
      samples: String(whole.body.tracking.samples),
      gaps: String(whole.body.tracking.gaps),
    });
    assert.ok(!Number.isNaN(Date.parse(file.closed?.closed_at ?? '')));

    // A tracking still running exports what it has so far, without a CLOSED line.
    const partial = parseExport(
      (await app.inject({ method: 'GET', url: trackingUrl(active, '/export'), headers: readAuthHeader }))
        .body,
    );
    assert.equal(partial.closed, undefined);
    assert.equal(partial.header.direction, OTHER);
    assert.ok(partial.samples.length >= 3);

    // Reads need a token.
    assert.equal((await get('/scanner/trackings', {})).response.statusCode, 401);
  });

  test('the engine: 404 when none runs; its state; pause and resume reach the running workflow; a read token cannot', async () => {
    const none = await get('/scanner/engine');
    expectRefusal(none.response, 404, /no spread engine is running/);
    expectRefusal(
      await app.inject({ method: 'POST', url: '/scanner/engine/pause', headers: authHeader }),
      404,
      /no spread engine is running/,
    );

    // Its activity waits on a queue nobody polls; the workflow still answers queries and signals.
    const engine = await harness.client.workflow.start('spreadEngineWorkflow', {
      taskQueue: harness.taskQueue,
      workflowId: scanner.engineWorkflowId,
      args: [{ version: 1, taskQueue: uniqueName('nobody-polls') }],
    });
    cleanups.push(() => engine.terminate('test over'));
    const state = await waitFor('the engine answers', async () => {
      const { response, body } = await get('/scanner/engine');
      return response.statusCode === 200 ? body : undefined;
    });
    assert.deepEqual(state, {
      workflowId: scanner.engineWorkflowId,
      paused: false,
      version: 1,
      last: null,
      problem: null,
    });

    for (const action of ['pause', 'resume'])
      assert.equal(
        (await app.inject({ method: 'POST', url: `/scanner/engine/${action}`, headers: readAuthHeader }))
          .statusCode,
        401,
      );
    assert.equal((await get('/scanner/engine')).body.paused, false, 'the read token changed nothing');

    const paused = await app.inject({ method: 'POST', url: '/scanner/engine/pause', headers: authHeader });
    assert.equal(paused.statusCode, 202, paused.body);
    assert.deepEqual(paused.json(), { workflowId: scanner.engineWorkflowId, signal: 'pauseEngine' });
    await waitFor('paused', async () => (await get('/scanner/engine')).body.paused === true);

    const resumed = await app.inject({ method: 'POST', url: '/scanner/engine/resume', headers: authHeader });
    assert.equal(resumed.statusCode, 202, resumed.body);
    assert.equal(resumed.json<{ signal: string }>().signal, 'resumeEngine');
    await waitFor('resumed', async () => (await get('/scanner/engine')).body.paused === false);

    await engine.terminate('test over');
    expectRefusal((await get('/scanner/engine')).response, 404, /terminated/);
    expectRefusal(
      await app.inject({ method: 'POST', url: '/scanner/engine/resume', headers: authHeader }),
      404,
      /no spread engine is running/,
    );
  });
});

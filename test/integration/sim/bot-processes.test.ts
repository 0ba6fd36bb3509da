import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../support/wait';

/**
 * Bot clients as processes of their own (`npm run sim:bot`): a custom bot module from this folder and a
 * built-in maker trade against the networked simulator (`npm run sim`) over its HTTP and WebSocket API;
 * killing one leaves the venue and the other running.
 */
const root = join(import.meta.dirname, '..', '..', '..');
const botMain = join(root, 'sim', 'bot-client', 'main.ts');
const fixtures = join(import.meta.dirname, 'fixtures');

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
}

const started: ChildProcess[] = [];

function start(args: string[], cwd = root): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  return { child, out: () => out, err: () => err };
}

async function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  return { code, signal };
}

interface Order {
  orderId: string;
  clientOrderId: string;
  side: string;
  status: string;
}
interface Fill {
  tradeId: number;
  clientOrderId: string;
  liquidity: string;
}

void describe('bot clients as processes of their own', () => {
  let sim: Proc;
  let base: string;
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(base + path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T;
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const spot = '/v1/binance/spot';
  const openOrders = (account: string) =>
    api<Order[]>('GET', `${spot}/open-orders?account=${account}&symbol=BTC-USDT`);
  const fills = (account: string) => api<Fill[]>('GET', `${spot}/my-trades?account=${account}`);
  const bot = (account: string, strategy: string, cwd = root, extra: string[] = []): Proc =>
    start(
      [
        botMain,
        ...['--url', base, '--venue', 'binance', '--market', 'spot', '--symbol', 'BTC-USDT'],
        ...['--account', account, '--strategy', strategy, ...extra],
      ],
      cwd,
    );

  before(async () => {
    // Synthetic prices and marks but no in-process bots: the book is whatever the bot processes make.
    sim = start([
      'sim/main.ts',
      ...['--port', '0', '--no-bots', '--seed', '7'],
      ...['--fund', 'maker-proc', '--fund', 'custom-proc', '--fund', 'crash-proc', '--fund', 'taker-test'],
    ]);
    base = await waitFor(
      'the simulator address',
      () => /simulated exchange on (http:\/\/\S+) /.exec(sim.out())?.[1],
      60_000,
    );
  });

  after(async () => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited(child);
      }
  });

  void test('a custom bot module and a built-in maker trade in their own processes; killing one leaves the venue and the other running', async () => {
    const maker = bot('maker-proc', 'maker', root, ['--tick-ms', '300']);
    // The module path is resolved against the bot's working directory.
    const custom = bot('custom-proc', './fixtures/test-bot.ts:TestBot', import.meta.dirname);

    // The maker quotes a two-sided ladder from the perp mark, then around the touch.
    await waitFor(
      'the maker process to quote both sides',
      async () => {
        const sides = new Set((await openOrders('maker-proc')).map((o) => o.side));
        return (sides.has('buy') && sides.has('sell')) || undefined;
      },
      60_000,
    );
    // The custom bot's resting bid and IOC fills show on the venue, under its account and client ids.
    const customFills = await waitFor(
      'fills of the custom bot',
      async () => {
        const f = await fills('custom-proc');
        return f.length >= 3 ? f : undefined;
      },
      60_000,
    );
    assert.ok(customFills.every((f) => f.clientOrderId.startsWith('test-bot-ioc-')));
    assert.ok(customFills.every((f) => f.liquidity === 'taker'));
    const resting = await openOrders('custom-proc');
    assert.equal(resting.length, 1);
    assert.match(resting[0]!.clientOrderId, /^test-bot-rest-\d+$/);
    // It traded against the maker process.
    const makerFills = await fills('maker-proc');
    assert.ok(
      makerFills.some((f) => f.liquidity === 'maker'),
      'the maker process was filled',
    );
    assert.match(custom.out(), /test bot starting on binance\/spot BTC-USDT for custom-proc/);

    custom.child.kill('SIGKILL');
    assert.deepEqual(await exited(custom.child), { code: null, signal: 'SIGKILL' });
    const customFillsAtKill = (await fills('custom-proc')).length;

    // The venue still answers, and the maker process keeps replacing its ladder.
    const venues = await api<Array<{ venue: string }>>('GET', '/v1/venues');
    assert.ok(venues.some((v) => v.venue === 'binance'));
    const before = new Set((await openOrders('maker-proc')).map((o) => o.orderId));
    await waitFor(
      'a fresh ladder from the maker process',
      async () => {
        const now = await openOrders('maker-proc');
        return (now.length >= 10 && now.every((o) => !before.has(o.orderId))) || undefined;
      },
      30_000,
    );
    // And it still trades: a market buy from another account is filled against it (retried: it may
    // arrive while the maker is between cancelling its ladder and placing the next).
    const makerFillsBefore = (await fills('maker-proc')).length;
    await waitFor(
      'a market buy filled against the maker process',
      async () => {
        const taken = await api<Order & { filledQuantity: string }>('POST', `${spot}/order`, {
          account: 'taker-test',
          symbol: 'BTC-USDT',
          side: 'buy',
          type: 'market',
          quantity: '0.001',
        });
        return Number(taken.filledQuantity) > 0 || undefined;
      },
      30_000,
    );
    const makerFillsAfter = await fills('maker-proc');
    assert.ok(makerFillsAfter.length > makerFillsBefore, 'the maker process was filled after the kill');
    // The killed bot trades no more; its resting bid stays until someone cancels it.
    assert.equal((await fills('custom-proc')).length, customFillsAtKill);
    assert.equal((await openOrders('custom-proc')).length, 1);
    assert.equal(maker.child.exitCode, null, 'the maker process is still running');
    assert.equal(sim.child.exitCode, null, 'the simulator is still running');

    // SIGTERM stops the maker cleanly: it cancels its ladder and exits 0.
    maker.child.kill('SIGTERM');
    assert.deepEqual(await exited(maker.child), { code: 0, signal: null });
    assert.match(maker.out(), /cancelled \d+ open orders/);
    assert.deepEqual(await openOrders('maker-proc'), []);
  });

  void test('a bot whose hook throws logs one line, cancels its orders and exits 1; the venue carries on', async () => {
    const maker = bot('maker-proc', 'maker', root, ['--tick-ms', '300']);
    const crash = bot('crash-proc', `${join(fixtures, 'test-bot.ts')}:CrashingBot`);
    assert.deepEqual(await exited(crash.child), { code: 1, signal: null });
    const errLines = crash.err().trim().split('\n');
    assert.equal(errLines.length, 1, crash.err());
    assert.match(
      errLines[0]!,
      /^\[CrashingBot crash-proc@binance\/spot BTC-USDT\] failed in onTick: boom on tick 3$/,
    );
    // Its resting bid was placed, then cancelled on the way out.
    const bid = await api<Order>('GET', `${spot}/order?account=crash-proc&clientOrderId=crash-bot-rest`);
    assert.equal(bid.status, 'CANCELED');
    assert.equal((await api<Array<{ venue: string }>>('GET', '/v1/venues')).length, 4);
    await waitFor(
      'the maker process to quote',
      async () => (await openOrders('maker-proc')).length >= 10 || undefined,
      60_000,
    );
    assert.equal(maker.child.exitCode, null);
    maker.child.kill('SIGTERM');
    assert.deepEqual(await exited(maker.child), { code: 0, signal: null });
  });
});

void describe('the bot command refuses what it cannot run, with one line', () => {
  after(async () => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited(child);
      }
  });

  const cases: Array<[string, string[], RegExp]> = [
    [
      'a missing module file',
      ['--strategy', './fixtures/nope.ts:MyBot'],
      /no such file .*fixtures\/nope\.ts$/,
    ],
    [
      'a missing export',
      ['--strategy', './fixtures/test-bot.ts:MissingBot'],
      /test-bot\.ts has no export named MissingBot$/,
    ],
    [
      'an export that is not a bot',
      ['--strategy', './fixtures/test-bot.ts:NotABot'],
      /NotABot is not a bot \(ClientBot\): it has neither onTick nor onMarket$/,
    ],
    [
      'a strategy that is neither built in nor PATH:EXPORT',
      ['--strategy', 'sniper'],
      /expected maker, taker, random or PATH:EXPORT/,
    ],
    ['no account', ['--strategy', 'maker', '--account', ''], /--account is required/],
    ['an unknown option', ['--strategy', 'maker', '--acount', 'x'], /^bad options: .*acount/],
  ];
  for (const [what, args, message] of cases) {
    void test(`${what}: exit 2`, async () => {
      // Nothing listens on port 9: a strategy is checked before the simulator is asked anything.
      const p = start(
        [botMain, '--url', 'http://127.0.0.1:9', '--account', 'a', ...args],
        import.meta.dirname,
      );
      assert.deepEqual(await exited(p.child), { code: 2, signal: null });
      const lines = p.err().trim().split('\n');
      assert.equal(lines.length, 1, p.err());
      assert.match(lines[0]!, message);
      assert.equal(p.out(), '');
    });
  }

  void test('an unreachable simulator: exit 1', async () => {
    const p = start([botMain, '--url', 'http://127.0.0.1:9', '--account', 'a', '--strategy', 'taker']);
    assert.deepEqual(await exited(p.child), { code: 1, signal: null });
    const lines = p.err().trim().split('\n');
    assert.equal(lines.length, 1, p.err());
    assert.match(lines[0]!, /^cannot reach the simulator at http:\/\/127\.0\.0\.1:9: /);
  });
});

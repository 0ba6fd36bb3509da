import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../../sim/clock';
import { SimError } from '../../../sim/errors';
import { SimExchange } from '../../../sim/exchange';
import { SimClient } from '../../../sim/gateway';
import { attachReplay } from '../../../sim/replay';
import { limit, market, testExchange } from './helpers';

/** A value, or the reason it was refused: lookups that fail must fail alike. */
function attempt<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SimError) return `refused: ${e.reason}`;
    throw e;
  }
}

/** Everything a client can ask the exchange about these accounts, its books, tapes, funding and faults. */
function lookups(ex: SimExchange, accounts: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    now: ex.clock.now(),
    faults: ex.faults.list(),
    dislocations: ex.process?.activeDislocations() ?? null,
  };
  for (const v of ex.venues.values()) {
    out[`${v.name}/venue`] = {
      clientIdReuse: v.clientIdReuse,
      nextFundingAt: v.nextFundingAt,
      insuranceFund: String(v.ledger.insuranceFundAtoms),
      liquidations: v.liquidationViews(),
      funding: v.perp.symbolIds().map((s) => v.funding(s)),
    };
    for (const account of accounts) {
      out[`${v.name}/${account}/wallets`] = {
        spot: v.balances(account),
        perp: v.perpAccount(account),
        funding: v.fundingPayments(account),
      };
    }
    for (const m of [v.spot, v.perp]) {
      const key = `${v.name}/${m.kind}`;
      out[`${key}/fees`] = m.fees;
      for (const account of accounts) {
        const orders = m.accountOrders(account);
        out[`${key}/${account}`] = {
          orders,
          byClientId: orders.map((o) =>
            attempt(() => m.getOrder(account, { clientOrderId: o.clientOrderId })),
          ),
          byOrderId: orders.map((o) => attempt(() => m.getOrder(account, { orderId: o.orderId }))),
          open: m.openOrders(account),
          fills: m.accountFills(account, undefined, 10_000),
        };
      }
      for (const s of m.symbolIds()) {
        const depth = m.depth(s, 1000);
        const book = m.book(s);
        out[`${key}/${s}`] = {
          top: m.top(s),
          ticker: ex.ticker(v.name, m.kind, s),
          depth,
          fifo: [
            ...book.depth(0, 1000).map(([p]) => book.queueAt(0, p)),
            ...book.depth(1, 1000).map(([p]) => book.queueAt(1, p)),
          ],
          tape: m.tape(s, 100_000),
          mark: m.markPrice(s),
        };
      }
    }
  }
  return out;
}

/**
 * One venue, three traders: FIFO queues on both sides of spot, a partial fill, cancelled, expired and
 * filled orders, a client id reused after close, perp positions at two leverages through a funding
 * settlement, a liquidation with a shortfall, a pinned funding rate and half-used fault rules.
 */
async function busyExchange(): Promise<SimExchange> {
  const ex = testExchange('after-close', 7);
  const v = ex.venue('binance');
  const spot = ex.market('binance', 'spot');
  const perp = ex.market('binance', 'perp');
  for (const a of ['alice', 'bob', 'carol']) {
    v.deposit('spot', a, 'USDT', '1000000');
    v.deposit('spot', a, 'BTC', '100');
    v.deposit('perp', a, 'USDT', '1000000');
  }
  spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'a1' }));
  spot.placeOrder(limit('bob', 'buy', '0.1', '40000', { clientOrderId: 'b1' }));
  spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'a2' }));
  spot.placeOrder(limit('carol', 'buy', '0.1', '40000'));
  spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'a3' }));
  spot.placeOrder(limit('carol', 'buy', '0.2', '39990.5'));
  spot.placeOrder(limit('bob', 'sell', '0.3', '41000', { clientOrderId: 'b2' }));
  spot.placeOrder(limit('carol', 'sell', '0.1', '41000'));
  spot.placeOrder(limit('bob', 'sell', '0.25', '41010.01', { clientOrderId: 'b3' }));
  ex.step(250);
  // a1 filled, b1 partially: FIFO at 40000.
  spot.placeOrder(market('carol', 'sell', '0.15'));
  spot.cancelOrder('alice', { clientOrderId: 'a2' });
  // After close, 'a2' names a new order; the old one stays reachable by orderId.
  spot.placeOrder(limit('alice', 'buy', '0.05', '39980', { clientOrderId: 'a2' }));
  spot.placeOrder(limit('alice', 'buy', '1', '30000', { clientOrderId: 'ioc', timeInForce: 'IOC' }));
  spot.placeOrder(limit('alice', 'buy', '10', '41000', { clientOrderId: 'fok', timeInForce: 'FOK' }));
  spot.placeOrder(limit('alice', 'buy', '0.1', '41000', { clientOrderId: 'taker' }));

  v.setLeverage('alice', 'BTC-USDT', 20);
  perp.placeOrder(limit('bob', 'sell', '1', '50000', { clientOrderId: 'p-b1' }));
  perp.placeOrder(market('alice', 'buy', '0.4'));
  perp.placeOrder(limit('carol', 'buy', '0.3', '50000', { clientOrderId: 'p-c1' }));
  perp.placeOrder(limit('carol', 'sell', '0.1', '52000', { clientOrderId: 'p-c2' }));
  perp.placeOrder(limit('alice', 'buy', '0.2', '49000.5', { clientOrderId: 'p-a1' }));
  v.deposit('perp', 'dave', 'USDT', '100');
  v.setLeverage('dave', 'BTC-USDT', 50);
  perp.placeOrder(limit('dave', 'buy', '0.09', '50000', { clientOrderId: 'p-d1' }));
  perp.setMarkPrice('BTC-USDT', '50100');
  ex.step(8 * 3600_000); // funding at the default rate, then liquidations
  v.setFundingRate('BTC-USDT', '-0.0003');
  perp.setMarkPrice('BTC-USDT', '48000');
  v.runLiquidations(); // dave: equity below maintenance, closed at mark with a shortfall
  ex.step(1_000);

  ex.faults.add({ venue: 'binance', op: 'getOrder', fault: 'rate-limit', probability: 0.5 });
  ex.faults.add({ venue: 'binance', op: 'createOrder', fault: 'lose-response', nth: 3 });
  const client = new SimClient(ex, () => Promise.resolve());
  for (let i = 0; i < 5; i++)
    await client.getOrder('binance', 'spot', 'bob', { clientOrderId: 'b3' }).catch(() => undefined);
  await client.placeOrder('binance', 'spot', limit('bob', 'buy', '0.01', '35000'));
  return ex;
}

const ACCOUNTS = ['alice', 'bob', 'carol', 'dave', 'erin'];

/** The same calls on any exchange built by busyExchange(); returns what each call answered. */
async function afterwards(ex: SimExchange): Promise<unknown[]> {
  const log: unknown[] = [];
  const v = ex.venue('binance');
  const spot = ex.market('binance', 'spot');
  const perp = ex.market('binance', 'perp');
  const client = new SimClient(ex, () => Promise.resolve());
  const call = async (p: Promise<unknown>) =>
    log.push(await p.catch((e: unknown) => (e instanceof SimError ? `refused: ${e.reason}` : String(e))));
  for (let i = 0; i < 6; i++)
    await call(client.getOrder('binance', 'spot', 'alice', { clientOrderId: 'a2' }));
  v.deposit('spot', 'erin', 'USDT', '100000');
  v.deposit('spot', 'erin', 'BTC', '5');
  // Sweeps the 40000 level in FIFO order (b1's rest, carol, a3), then 39990.5 and 39980.
  await call(client.placeOrder('binance', 'spot', market('erin', 'sell', '0.5')));
  await call(client.placeOrder('binance', 'spot', market('erin', 'buy', '0.5')));
  await call(
    client.placeOrder('binance', 'spot', limit('erin', 'buy', '0.01', '39000', { clientOrderId: 'e1' })),
  );
  await call(
    client.placeOrder('binance', 'spot', limit('erin', 'buy', '0.01', '39000', { clientOrderId: 'e2' })),
  );
  log.push(attempt(() => spot.placeOrder(limit('alice', 'buy', '0.05', '39980', { clientOrderId: 'a2' }))));
  log.push(attempt(() => spot.cancelOrder('alice', { clientOrderId: 'a2' })));
  log.push(attempt(() => spot.placeOrder(limit('alice', 'sell', '0.05', '45000', { clientOrderId: 'a2' }))));
  log.push(attempt(() => spot.placeOrder(limit('bob', 'buy', '0.01', '38000'))));
  v.setClientIdReuse('never');
  log.push(attempt(() => spot.placeOrder(limit('alice', 'sell', '0.05', '45000', { clientOrderId: 'a1' }))));
  log.push(attempt(() => perp.placeOrder(market('alice', 'sell', '0.7'))));
  log.push(attempt(() => perp.placeOrder(limit('carol', 'buy', '0.5', '51000', { reduceOnly: true }))));
  log.push(attempt(() => perp.cancelOrder('alice', { clientOrderId: 'p-a1' })));
  perp.setMarkPrice('BTC-USDT', '50500');
  ex.step(8 * 3600_000);
  log.push(v.fundingPayments('carol'), v.perpAccount('alice'), v.perpAccount('carol'));
  return log;
}

void describe('simulator snapshot and restore', () => {
  void test('a busy exchange restored from its snapshot answers every lookup alike, then behaves as its twin', async () => {
    const original = await busyExchange();
    const snapshot = original.snapshot();
    const json = JSON.stringify(snapshot);
    // Plain JSON: nothing is lost on the way to a file.
    assert.deepEqual(JSON.parse(json), snapshot);
    const restored = SimExchange.restore(JSON.parse(json));
    assert.deepEqual(restored.snapshot(), snapshot);
    assert.deepEqual(lookups(restored, ACCOUNTS), lookups(original, ACCOUNTS));

    const a = await afterwards(original);
    const b = await afterwards(restored);
    assert.deepEqual(b, a);
    assert.match(JSON.stringify(a), /refused: RATE_LIMITED/); // the fault PRNG was drawn alike
    assert.match(JSON.stringify(a), /refused: NETWORK_TIMEOUT/); // the nth rule kept its count
    assert.deepEqual(lookups(restored, ACCOUNTS), lookups(original, ACCOUNTS));
    assert.deepEqual(restored.snapshot(), original.snapshot());
  });

  void test('decimals stay exact: balances, fees and PnL survive as decimal strings', () => {
    const ex = testExchange('never');
    const v = ex.venue('binance');
    v.deposit('spot', 'alice', 'USDT', '12345678901234.12345678');
    v.deposit('perp', 'alice', 'USDT', '0.00000001');
    const restored = SimExchange.restore(JSON.parse(JSON.stringify(ex.snapshot())));
    assert.deepEqual(restored.venue('binance').balances('alice'), [
      { asset: 'USDT', total: '12345678901234.12345678', locked: '0', available: '12345678901234.12345678' },
    ]);
    assert.equal(restored.venue('binance').perpAccount('alice').walletBalance, '0.00000001');
  });

  void test('the synthetic market and its bots carry on from the snapshot exactly as the twin that never stopped', () => {
    const ex = new SimExchange({ seed: 21, symbols: ['BTC-USDT', 'ETH-USDT'], synthetic: true });
    ex.fundAccount('keel');
    for (let i = 0; i < 30; i++) ex.step(100);
    const spot = ex.market('okx', 'spot');
    const top = spot.top('BTC-USDT');
    spot.placeOrder({
      account: 'keel',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: top.bidPrice ?? '1',
      clientOrderId: 'k-bid',
    });
    spot.placeOrder({
      account: 'keel',
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      quantity: '0.01',
      price: top.askPrice ?? '1000000',
      clientOrderId: 'k-ask',
    });
    ex.faults.add({
      venue: 'okx',
      market: 'spot',
      op: 'marketData',
      fault: 'stale',
      durationMs: 700,
      nth: 3,
    });
    for (let i = 0; i < 20; i++) ex.step(100);

    const twin = SimExchange.restore(JSON.parse(JSON.stringify(ex.snapshot())), { clock: new ManualClock() });
    const accounts = ['keel', 'bot-maker', 'bot-taker', 'bot-random'];
    assert.deepEqual(lookups(twin, accounts), lookups(ex, accounts));
    for (let i = 0; i < 40; i++) {
      ex.step(100);
      twin.step(100);
    }
    assert.ok(ex.market('okx', 'spot').tape('BTC-USDT', 100_000).length > 10, 'the bots traded');
    assert.deepEqual(lookups(twin, accounts), lookups(ex, accounts));
    assert.deepEqual(twin.snapshot(), ex.snapshot());
  });

  void test('tapeLimit keeps the newest trades of each tape', async () => {
    const ex = await busyExchange();
    const full = ex.market('binance', 'spot').tape('BTC-USDT', 1000);
    assert.ok(full.length > 2);
    const restored = SimExchange.restore(ex.snapshot({ tapeLimit: 2 }));
    assert.deepEqual(restored.market('binance', 'spot').tape('BTC-USDT', 1000), full.slice(-2));
  });

  void test('a snapshot that is not one, or of another version, is refused with the reason', async () => {
    const snapshot = (await busyExchange()).snapshot();
    assert.throws(() => SimExchange.restore({ ...snapshot, version: 99 }), /version/);
    assert.throws(() => SimExchange.restore({ hello: 'world' }), /not a simulator snapshot/);
    const broken = JSON.parse(JSON.stringify(snapshot)) as { venues: Array<{ wallets: unknown[] }> };
    broken.venues[0]!.wallets[0] = { account: 'alice', asset: 'USDT', total: '1.5', locked: '0' };
    assert.throws(() => SimExchange.restore(broken), /venues\.0\.wallets\.0\.total/);
  });

  void test('an exchange driven by a recorded replay cannot be snapshotted (the recording is not state)', () => {
    const ex = testExchange();
    attachReplay(ex, 'binance', 'perp', 'BTC-USDT', []);
    assert.throws(() => ex.snapshot(), /replay/);
  });
});

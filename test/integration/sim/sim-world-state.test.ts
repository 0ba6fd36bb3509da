import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { CreateOrder, ExchangeConnector } from '../../../connectors/exchange-connector';
import { startLocalSimWorld } from '../../../workers/sim-world';
import type { LocalSimWorld } from '../../../workers/sim-world';
import { waitFor } from '../../support/wait';

const dir = mkdtempSync(join(tmpdir(), 'keel-sim-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Far from the synthetic market (BTC near 60000): these orders rest and never fill. */
const far = (clientOrderId: string, side: 'buy' | 'sell', price: string): CreateOrder => ({
  symbol: 'BTC-USDT',
  clientOrderId,
  side,
  type: 'limit',
  quantity: '0.001',
  price,
});

async function accountView(world: LocalSimWorld) {
  const spot: ExchangeConnector = world.connectors('binance', 'spot', 'keel');
  const perp: ExchangeConnector = world.connectors('binance', 'perp', 'keel');
  const strip = (o: { updatedAt?: number } & Record<string, unknown>) => ({ ...o });
  return {
    spotBalances: await spot.balances(),
    perpBalances: await perp.balances(),
    spotOpen: (await spot.openOrders()).map(strip),
    perpOpen: (await perp.openOrders()).map(strip),
    cancelled: await spot.fetchOrderByClientId('BTC-USDT', 'gone'),
    kept: await spot.fetchOrderByClientId('BTC-USDT', 'keepBid'),
  };
}

void describe('startLocalSimWorld with a state file', () => {
  void test('orders and balances survive stop + start; the account is not funded twice', async () => {
    const stateFile = join(dir, 'ok', 'sim', 'state.json');
    const first = startLocalSimWorld({ stateFile, tickMs: 20, saveEveryMs: 100 });
    let stoppedAt: number;
    let before: Awaited<ReturnType<typeof accountView>>;
    try {
      const spot = first.connectors('binance', 'spot', 'keel');
      const perp = first.connectors('binance', 'perp', 'keel');
      await spot.createOrder(far('keepBid', 'buy', '10000'));
      await spot.createOrder(far('keepAsk', 'sell', '500000'));
      await spot.createOrder(far('gone', 'buy', '11000'));
      await spot.cancelOrder('BTC-USDT', 'gone');
      await perp.createOrder({ ...far('keepPerp', 'buy', '10000'), quantity: '0.01' });
      // Saved every few seconds (here 100 ms), not only on stop.
      await waitFor(
        'a periodic save holding the orders',
        () => readFileSync(stateFile, 'utf8').includes('keepPerp'),
        10_000,
        20,
      );
      before = await accountView(first);
      assert.equal(before.spotOpen.length, 2);
      assert.equal(before.perpOpen.length, 1);
      assert.equal(before.cancelled?.status, 'canceled');
    } finally {
      await first.stop();
      stoppedAt = first.exchange.clock.now();
    }
    assert.deepEqual(readdirSync(dirname(stateFile)), ['state.json']); // written atomically: no temp file left

    const second = startLocalSimWorld({ stateFile, tickMs: 20, saveEveryMs: 100 });
    try {
      assert.ok(second.exchange.clock.now() >= stoppedAt, 'simulated time goes on from where it stopped');
      assert.deepEqual(await accountView(second), before);
      // The venue's sequence goes on: a new order gets a new venue order id.
      const next = await second
        .connectors('binance', 'spot', 'keel')
        .createOrder(far('next', 'buy', '10000'));
      assert.ok(![...before.spotOpen, before.cancelled].some((o) => o?.venueOrderId === next.venueOrderId));
    } finally {
      await second.stop();
    }
  });

  void test('a state file that does not parse stops start-up with one line naming the file', () => {
    for (const [name, text] of [
      ['truncated', '{"format":"keel-sim-exchange","ver'],
      ['foreign', '{"hello":"world"}'],
    ] as const) {
      const stateFile = join(dir, name, 'state.json');
      mkdirSync(dirname(stateFile), { recursive: true });
      writeFileSync(stateFile, text);
      assert.throws(
        () => startLocalSimWorld({ stateFile }),
        (e: unknown) => e instanceof Error && e.message.includes(stateFile) && !e.message.includes('\n'),
      );
      assert.equal(readFileSync(stateFile, 'utf8'), text, 'the bad file is left as it was');
    }
  });
});

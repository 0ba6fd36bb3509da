import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCcxtConnector, resetSharedExchanges } from '../../../connectors/ccxt';
import { binanceFrontApiUrls } from '../../../sim/fronts/binance';
import { waitFor } from '../../support/wait';

/**
 * `npm run sim -- --binance-port N`: the documented way to run the simulator on its own and point real
 * ccxt at it. Started here as an operator would, then traded through with the unmodified ccxt class.
 */
describe('the simulator command with its Binance front', () => {
  let child: ChildProcess;
  let output = '';
  let frontUrl: string;

  before(async () => {
    const root = join(import.meta.dirname, '..', '..', '..');
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'sim/main.ts', '--port', '0', '--binance-port', '0', '--no-bots'],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    frontUrl = await waitFor(
      'the Binance front address',
      async () => /Binance front on (\S+)/.exec(output)?.[1],
      30_000,
    );
  });
  after(async () => {
    resetSharedExchanges();
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  test('prints how to point ccxt at it, and ccxt trades for the funded default account', async () => {
    assert.match(output, /simulated exchange on http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /urls\.api = \{"public":"http:\/\/127\.0\.0\.1:\d+\/api\/v3"/);
    const connector = createCcxtConnector({
      venue: 'binance',
      market: 'spot',
      env: { KEEL_BINANCE_API_KEY: 'keel-sim-key', KEEL_BINANCE_SECRET: 'keel-sim-secret' },
      apiUrls: binanceFrontApiUrls(frontUrl),
    });
    const instruments = await connector.instruments();
    assert.ok(instruments.some((instrument) => instrument.symbol === 'BTC-USDT'));
    const usdt = (await connector.balances()).find((balance) => balance.asset === 'USDT');
    assert.ok(usdt && Number(usdt.free) > 0, 'the front account starts funded');
    const order = await connector.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 'simcmd1',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '1000',
    });
    assert.equal(order.status, 'open');
    assert.equal((await connector.cancelOrder('BTC-USDT', 'simcmd1')).status, 'canceled');
  });

  test('stops on SIGTERM', async () => {
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimExchange } from '../../../sim/exchange';
import { MarketProcess } from '../../../sim/market-process';
import { createPrng } from '../../../sim/prng';

function tapeSignature(seed: number): string {
  const ex = new SimExchange({ seed, synthetic: true, symbols: ['BTC-USDT', 'ETH-USDT'] });
  for (let i = 0; i < 30; i++) ex.step(200);
  const out: string[] = [];
  for (const m of ex.allMarkets())
    for (const t of m.tape('BTC-USDT', 1000))
      out.push(`${m.venue}/${m.kind} ${t.ts} ${t.price} ${t.quantity} ${t.takerSide}`);
  return out.join('\n');
}

void describe('synthetic market', () => {
  void test('is deterministic for a seed', () => {
    const a = tapeSignature(5);
    assert.ok(a.split('\n').length > 50, 'bots should trade');
    assert.equal(tapeSignature(5), a);
    assert.notEqual(tapeSignature(6), a);
  });

  void test('all eight venue markets have two-sided books around the shared fair value', () => {
    const ex = new SimExchange({ seed: 3, synthetic: true, symbols: ['BTC-USDT'] });
    ex.step(100);
    const fair = ex.process!.fairValue('BTC')!;
    let n = 0;
    for (const m of ex.allMarkets()) {
      const top = m.top('BTC-USDT');
      const bid = Number(top.bidPrice);
      const ask = Number(top.askPrice);
      assert.ok(bid < ask, `${m.venue}/${m.kind} crossed`);
      // Within 1 % of fair (basis is a few bps, dislocations tens of bps).
      assert.ok(
        Math.abs(bid / fair - 1) < 0.01 && Math.abs(ask / fair - 1) < 0.01,
        `${m.venue}/${m.kind} ${bid}/${ask} vs ${fair}`,
      );
      assert.ok(m.depth('BTC-USDT', 20).bids.length >= 5);
      n++;
    }
    assert.equal(n, 8);
  });

  void test('basis mean-reverts and dislocations open and then close', () => {
    const p = new MarketProcess(createPrng(9), {
      initialPrices: { BTC: 60000 },
      venueMarkets: ['a/perp'],
      dislocationRatePerSec: 0.5,
      dislocationBps: 30,
      dislocationDurationMs: 5_000,
      basisReversionPerSec: 1,
      basisVolBpsPerSqrtSec: 0.1,
    });
    let opened = false;
    let maxAbsDuring = 0;
    for (let i = 0; i < 100 && !opened; i++) {
      p.advance(100);
      opened = p.activeDislocations().length > 0;
    }
    assert.ok(opened, 'a dislocation should open');
    for (let i = 0; i < 40; i++) {
      p.advance(100);
      maxAbsDuring = Math.max(maxAbsDuring, Math.abs(p.basisBps('a/perp', 'BTC')! - 2));
    }
    // Target moved by >= 30 bps with 1/s reversion: after 4 s the basis is well away from its 2 bps mean.
    assert.ok(maxAbsDuring > 20, `basis moved only ${maxAbsDuring} bps`);
    // Turn off new dislocations by waiting them out with a fresh process is awkward; instead check reversion:
    const q = new MarketProcess(createPrng(1), {
      initialPrices: { BTC: 1 },
      venueMarkets: ['a/perp'],
      dislocationRatePerSec: 0,
      basisReversionPerSec: 1,
      basisVolBpsPerSqrtSec: 0,
    });
    (q as unknown as { basis: Map<string, { bps: number }> }).basis.get('a/perp/BTC')!.bps = 52;
    q.advance(1000);
    // OU with no noise: 2 + (52 - 2) * e^-1 = 2 + 18.39 = 20.39
    assert.ok(Math.abs(q.basisBps('a/perp', 'BTC')! - 20.394) < 0.01);
  });
});

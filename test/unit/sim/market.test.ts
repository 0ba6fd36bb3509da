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
    const DURATION_MS = 5_000;
    const MEAN_BPS = 2; // the perp basis mean
    const p = new MarketProcess(createPrng(9), {
      initialPrices: { BTC: 60000 },
      venueMarkets: ['a/perp'],
      // About one every 10 s, lasting 5 s: quiet stretches between them.
      dislocationRatePerSec: 0.1,
      dislocationBps: 30,
      dislocationDurationMs: DURATION_MS,
      basisReversionPerSec: 1,
      basisVolBpsPerSqrtSec: 0.1,
    });
    const STEP_MS = 100;
    let now = 0;
    let current: { endsAt: number; offsetBps: number; openedAt: number } | undefined;
    let quietSince = 0;
    const closed: Array<{ lastedMs: number; offsetBps: number }> = [];
    let checkedDuring = 0;
    let checkedQuiet = 0;
    for (let i = 0; i < 3_000; i++) {
      p.advance(STEP_MS);
      now += STEP_MS;
      const active = p.activeDislocations();
      assert.ok(active.length <= 1, 'one basis process, at most one dislocation');
      const seen = active[0] && { endsAt: now + active[0].untilMs, offsetBps: active[0].offsetBps };
      if (current && seen?.endsAt !== current.endsAt) {
        // The dislocation being watched is gone (a new one may have opened in the same step).
        assert.ok(now >= current.endsAt, `closed at ${now} ms, before its end at ${current.endsAt} ms`);
        closed.push({ lastedMs: now - current.openedAt, offsetBps: current.offsetBps });
        current = undefined;
        quietSince = now;
      }
      if (seen && !current) current = { ...seen, openedAt: now };
      const basis = p.basisBps('a/perp', 'BTC')!;
      if (current && now - current.openedAt >= 4_000) {
        // Four time constants in, the basis sits at its shifted target.
        assert.ok(
          Math.abs(basis - (MEAN_BPS + current.offsetBps)) < 2,
          `${basis} bps during ${current.offsetBps}`,
        );
        checkedDuring++;
      }
      if (!current && closed.length > 0 && now - quietSince >= 5_000) {
        // Five time constants after the last one closed, the basis is back at its mean.
        assert.ok(Math.abs(basis - MEAN_BPS) < 1, `${basis} bps, ${now - quietSince} ms after a close`);
        checkedQuiet++;
      }
    }
    assert.ok(closed.length >= 5, `dislocations opened and closed: ${closed.length}`);
    for (const { lastedMs, offsetBps } of closed) {
      assert.ok(Math.abs(lastedMs - DURATION_MS) <= STEP_MS, `lasted ${lastedMs} ms`);
      assert.ok(Math.abs(offsetBps) >= 30 && Math.abs(offsetBps) <= 60, `offset ${offsetBps} bps`);
    }
    assert.ok(
      checkedDuring > 0 && checkedQuiet > 0,
      `checked ${checkedDuring} during, ${checkedQuiet} after`,
    );

    // The reversion speed itself, exactly: no noise, no dislocations.
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

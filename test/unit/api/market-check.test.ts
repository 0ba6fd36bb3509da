import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import {
  askMarketRules,
  marketRulesRefusal,
  tradedMarkets,
  unconfiguredMarket,
  type TradedMarket,
} from '../../../api/market-check';
import { ControlRefused } from '../../../api/orchestrator';
import { defaultVenuesConfig } from '../../../config/venues';
import type { MarketRules, MarketRulesAnswer } from '../../../workflows/markets/market-rules-workflow';
import { SymbolConfigSchema } from '../../../workflows/symbol/symbol-config';

const SYMBOL = 'ARB-USDT';
const short: TradedMarket = {
  label: 'arbitrage short leg',
  venue: 'bybit',
  market: 'perp',
  account: 'keel',
  quantity: '2',
};
const rules = (overrides: Partial<MarketRules> = {}): MarketRules => ({
  tickSize: '0.01',
  lotSize: '0.001',
  minQuantity: '0.001',
  minNotional: '5',
  bid: '99.9',
  ask: '100',
  ...overrides,
});
const listed = (market: TradedMarket, overrides: Partial<MarketRules> = {}): MarketRulesAnswer => ({
  venue: market.venue,
  market: market.market,
  account: market.account,
  symbol: SYMBOL,
  status: 'listed',
  rules: rules(overrides),
});

describe('marketRulesRefusal: a strategy order size against the rules the venue gave', () => {
  const cases: Array<{
    name: string;
    quantity?: string;
    rules?: Partial<MarketRules> | 'unlisted';
    refusal: string | undefined;
  }> = [
    { name: 'well above both minimums', quantity: '2', refusal: undefined },
    {
      name: 'not listed',
      rules: 'unlisted',
      refusal: 'arbitrage short leg: ARB-USDT is not listed on bybit perp',
    },
    {
      name: 'below the minimum quantity',
      quantity: '0.0005',
      refusal:
        'arbitrage short leg: order size 0.0005 is below the minimum quantity 0.001 of ARB-USDT on bybit perp',
    },
    {
      name: 'exactly the minimum quantity (no minimum notional)',
      quantity: '0.001',
      rules: { minNotional: '0' },
      refusal: undefined,
    },
    {
      name: 'below the minimum notional at the best ask',
      quantity: '0.04',
      refusal:
        'arbitrage short leg: order size 0.04 at the best ask 100 is a notional of 4, below the minimum notional 5 of ARB-USDT on bybit perp',
    },
    { name: 'exactly the minimum notional', quantity: '0.05', rules: { ask: '100' }, refusal: undefined },
    {
      name: 'no ask: the best bid prices it',
      quantity: '0.05',
      rules: { ask: undefined, bid: '99.9' },
      refusal:
        'arbitrage short leg: order size 0.05 at the best bid 99.9 is a notional of 4.995, below the minimum notional 5 of ARB-USDT on bybit perp',
    },
    {
      name: 'an empty book: the notional is not checked',
      quantity: '0.001',
      rules: { ask: undefined, bid: undefined },
      refusal: undefined,
    },
    {
      name: 'decimals compared exactly, not as floats (0.1 + 0.2 style)',
      quantity: '0.3',
      rules: { minQuantity: '0.30000000000000004', ask: '1000' },
      refusal:
        'arbitrage short leg: order size 0.3 is below the minimum quantity 0.30000000000000004 of ARB-USDT on bybit perp',
    },
    { name: 'no quantity: only the listing counts', quantity: undefined, refusal: undefined },
  ];
  for (const { name, quantity, rules: given, refusal } of cases)
    test(name, () => {
      const market = { ...short, quantity };
      const answer: MarketRulesAnswer =
        given === 'unlisted'
          ? { ...listed(market), status: 'unlisted', message: `${SYMBOL} is not listed on bybit/perp` }
          : listed(market, given);
      assert.equal(marketRulesRefusal(SYMBOL, [market], [answer]), refusal);
    });

  test('every problem is named, each matched to its own market and account', () => {
    const long: TradedMarket = { ...short, label: 'arbitrage long leg', venue: 'binance', quantity: '0.01' };
    const answers: MarketRulesAnswer[] = [
      listed(long),
      { ...listed(short), status: 'unlisted', message: 'not listed' },
    ];
    assert.equal(
      marketRulesRefusal(SYMBOL, [long, short], answers),
      'arbitrage long leg: order size 0.01 at the best ask 100 is a notional of 1, below the minimum notional 5 of ARB-USDT on binance perp; ' +
        'arbitrage short leg: ARB-USDT is not listed on bybit perp',
    );
    // Another account's answer is not this market's.
    assert.equal(marketRulesRefusal(SYMBOL, [{ ...short, account: 'other' }], answers), undefined);
  });
});

describe('tradedMarkets: what a configuration trades, from the strategies’ own hooks', () => {
  const arbitrage = {
    kind: 'perp-perp',
    long: { venue: 'binance', market: 'perp' },
    short: { venue: 'bybit', market: 'perp', account: 'hedge' },
    size: '2',
    entryThresholdBps: 30,
    exitThresholdBps: 5,
  };
  const config = (strategies: unknown[]) =>
    SymbolConfigSchema.parse({
      venues: [
        { venue: 'binance', market: 'spot', account: 'main' },
        { venue: 'binance', market: 'perp', account: 'keel' },
      ],
      strategies,
    });

  test('an arbitrage trades both legs at its size; a leg without an account uses its symbol venue’s', () => {
    assert.deepEqual(tradedMarkets(config([{ name: 'arbitrage', venue: 1, params: arbitrage }])), [
      { label: 'arbitrage long leg', venue: 'binance', market: 'perp', account: 'keel', quantity: '2' },
      { label: 'arbitrage short leg', venue: 'bybit', market: 'perp', account: 'hedge', quantity: '2' },
    ]);
  });

  test('a strategy without the hook (the grid) names no market, so nothing is asked of the venues', () => {
    const grid = {
      mode: 'long',
      lowerPrice: '90',
      upperPrice: '110',
      levels: 5,
      orderSize: { unit: 'base', amount: '1' },
      maxInventory: '10',
    };
    assert.deepEqual(tradedMarkets(config([{ name: 'grid', params: grid }])), []);
  });

  test('a market the venue configuration lacks is named with the leg', () => {
    const venues = {
      ...defaultVenuesConfig(),
      venues: defaultVenuesConfig().venues.filter((setup) => setup.venue !== 'bybit'),
    };
    assert.match(
      unconfiguredMarket(venues, [short]) ?? '',
      /^arbitrage short leg: venue bybit is not configured/,
    );
    assert.equal(unconfiguredMarket(defaultVenuesConfig(), [short]), undefined);
  });
});

describe('askMarketRules: a check that cannot be made is a 503 that says why', () => {
  const failing = (cause: Error) =>
    ({
      workflow: {
        execute: () =>
          Promise.reject(
            new WorkflowFailedError('Workflow execution failed', cause, RetryState.NON_RETRYABLE_FAILURE),
          ),
      },
    }) as unknown as Client;
  const refusal = async (cause: Error) => {
    const error: unknown = await askMarketRules(failing(cause), 'queue', SYMBOL, [short], 20_000).then(
      () => assert.fail('expected a refusal'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof ControlRefused, String(error));
    assert.equal(error.statusCode, 503);
    return error.message;
  };

  test('no worker ran it within the timeout', async () => {
    assert.equal(
      await refusal(new TimeoutFailure('timeout', undefined, TimeoutType.START_TO_CLOSE)),
      'no worker answered the market-rules check within 20 s (is a worker running?); try again',
    );
  });

  test('a venue that could not be asked', async () => {
    const failure = ApplicationFailure.create({
      type: 'MarketRulesUnavailable',
      message: 'bybit perp (account keel) did not give the rules of ARB-USDT: venue down',
      nonRetryable: true,
    });
    assert.equal(
      await refusal(failure),
      "the venues' market rules could not be read: bybit perp (account keel) did not give the rules of ARB-USDT: venue down; try again",
    );
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FundingHistory } from 'ccxt';
import { fundingPaymentsFromCcxt } from '../../../connectors/ccxt/account-mapping';
import type { CcxtMarkets } from '../../../connectors/ccxt/markets';

/** Two of a venue's linear perps as ccxt lists them, and one spot market. */
const markets = {
  'BTC/USDT:USDT': {
    id: 'BTCUSDT',
    symbol: 'BTC/USDT:USDT',
    base: 'BTC',
    quote: 'USDT',
    settle: 'USDT',
    swap: true,
    linear: true,
    contract: true,
    contractSize: 1,
    type: 'swap',
    spot: false,
    active: true,
  },
  'ETH/USDT:USDT': {
    id: 'ETHUSDT',
    symbol: 'ETH/USDT:USDT',
    base: 'ETH',
    quote: 'USDT',
    settle: 'USDT',
    swap: true,
    linear: true,
    contract: true,
    contractSize: 1,
    type: 'swap',
    spot: false,
    active: true,
  },
  'BTC/USDT': {
    id: 'BTCUSDT',
    symbol: 'BTC/USDT',
    base: 'BTC',
    quote: 'USDT',
    spot: true,
    type: 'spot',
    active: true,
  },
} as unknown as CcxtMarkets;

const entry = (fields: Partial<FundingHistory>): FundingHistory => ({
  info: {},
  symbol: 'BTC/USDT:USDT',
  code: 'USDT',
  id: undefined,
  amount: 0.5,
  timestamp: 1_000,
  ...fields,
});

test('ccxt funding history: canonical symbols, signed amounts, oldest first, the venue id or symbol and time', () => {
  const payments = fundingPaymentsFromCcxt(
    [
      entry({ id: 'v-2', symbol: 'ETH/USDT:USDT', amount: -0.25, timestamp: 2_000 }),
      entry({ timestamp: 1_000, amount: 0.5 }),
    ],
    markets,
    0,
  );
  assert.deepEqual(payments, [
    { id: 'BTC-USDT:1000', symbol: 'BTC-USDT', at: 1_000, amount: '0.5', asset: 'USDT' },
    { id: 'v-2', symbol: 'ETH-USDT', at: 2_000, amount: '-0.25', asset: 'USDT' },
  ]);
});

test('ccxt funding history: before `since`, on an unknown market, or without a time or amount, left out', () => {
  const payments = fundingPaymentsFromCcxt(
    [
      entry({ timestamp: 999 }),
      entry({ symbol: 'DOGE/USDT:USDT' }),
      entry({ symbol: 'BTC/USDT' }),
      entry({ timestamp: undefined }),
      entry({ amount: undefined }),
      entry({ timestamp: 1_000 }),
    ],
    markets,
    1_000,
  );
  assert.deepEqual(
    payments.map((p) => p.id),
    ['BTC-USDT:1000'],
  );
});

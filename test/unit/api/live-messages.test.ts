import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyMessage, messagesOf, positionMessage } from '../../../api/live/live-messages';
import type { LedgerOrder } from '../../../db/order-ledger';

const order = (fields: Partial<LedgerOrder> = {}): LedgerOrder => ({
  client_order_id: 'wf/run/1',
  venue: 'binance',
  market: 'spot',
  account: 'keel',
  symbol: 'BTC-USDT',
  strategy: 'grid',
  workflow_id: 'wf',
  side: 'buy',
  order_type: 'limit',
  price: '95',
  quantity: '1',
  status: 'open',
  venue_order_id: '42',
  filled_quantity: '0',
  average_price: null,
  fee: '0',
  fee_asset: null,
  rejection: null,
  denial: null,
  denial_rule: null,
  landed_at: null,
  kill_switch: null,
  kill_outcome: null,
  send_attempts: 1,
  sent_at: null,
  since_sent_ms: null,
  ...fields,
});

test('an order change is one `orders` message in seed 002’s shape', () => {
  assert.deepEqual(messagesOf({ kind: 'sending', order: order({ status: 'sending' }) }, 0), [
    {
      type: 'orders',
      data: {
        id: 'wf/run/1',
        venueOrderId: '42',
        symbol: 'BTC-USDT',
        venue: 'binance',
        market: 'spot',
        account: 'keel',
        strategy: 'grid',
        side: 'buy',
        type: 'limit',
        price: '95',
        quantity: '1',
        status: 'sending',
        filledQuantity: '0',
        averagePrice: null,
      },
    },
  ]);
});

test('a report that implies a fill adds a `trade_event` of the fill, stamped in seconds', () => {
  const filled = order({ status: 'filled', filled_quantity: '1', average_price: '95' });
  const messages = messagesOf(
    { kind: 'reported', before: order(), order: filled, fill: { quantity: '1', price: '95' } },
    1_700_000_000_999,
  );
  assert.deepEqual(
    messages.map((message) => message.type),
    ['orders', 'trade_event'],
  );
  assert.deepEqual(messages[1]?.data, {
    id: 'wf/run/1',
    symbol: 'BTC-USDT',
    strategy: 'grid',
    side: 'buy',
    price: '95',
    amount: '1',
    time: 1_700_000_000,
  });
});

test('a report without a new fill is no trade', () => {
  const messages = messagesOf({ kind: 'reported', before: order({ status: 'sending' }), order: order() }, 0);
  assert.deepEqual(
    messages.map((message) => message.type),
    ['orders'],
  );
});

test('history carries the orders and the fills; position the book’s net amount', () => {
  const history = historyMessage(
    [order()],
    [
      {
        id: '7',
        client_order_id: 'a',
        symbol: 'BTC-USDT',
        strategy: 'grid',
        side: 'sell',
        quantity: '0.5',
        price: '100',
        recorded_at: new Date(2_000),
      },
    ],
  );
  assert.equal(history.type, 'history');
  assert.deepEqual(history.type === 'history' && history.data.trades, [
    { id: 'a', symbol: 'BTC-USDT', strategy: 'grid', side: 'sell', price: '100', amount: '0.5', time: 2 },
  ]);
  assert.deepEqual(
    positionMessage({
      venue: 'binance',
      market: 'spot',
      account: 'keel',
      symbol: 'BTC-USDT',
      quantity: '-0.5',
      lastPrice: '100',
    }),
    {
      type: 'position',
      data: {
        symbol: 'BTC-USDT',
        venue: 'binance',
        market: 'spot',
        account: 'keel',
        amount: '-0.5',
        lastPrice: '100',
      },
    },
  );
});

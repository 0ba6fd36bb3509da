import assert from 'node:assert/strict';
import { ConnectorError } from '../../../connectors/exchange-connector';
import type { CreateOrder, ExchangeConnector } from '../../../connectors/exchange-connector';
import type { SimExchange } from '../../../sim/exchange';
import type { heldLatency } from './helpers';

const bid = (clientOrderId: string): CreateOrder => ({
  symbol: 'BTC-USDT',
  clientOrderId,
  side: 'buy',
  type: 'limit',
  quantity: '0.01',
  price: '50000',
});

const expired = (e: unknown): boolean =>
  e instanceof ConnectorError && e.kind === 'retryable' && /REQUEST_EXPIRED/.test(e.message);

/**
 * What every simulator connector does with the recvWindow (its tests run this on a spot market where the
 * account holds 10000 USDT and nothing else): the port stamps each order and cancel, so one a latency
 * fault holds past the window is refused as retryable and never executes (the order is not on the venue
 * while held nor after), and one held within the window executes.
 */
export async function recvWindowScenario(
  exchange: SimExchange,
  venue: string,
  connector: ExchangeConnector,
  wall: ReturnType<typeof heldLatency>,
): Promise<void> {
  const delay = (op: 'createOrder' | 'cancelOrder', latencyMs: number) =>
    exchange.faults.add({ venue, op, fault: 'latency', latencyMs, times: 1 });
  const lookup = (id: string) => connector.fetchOrderByClientId('BTC-USDT', id);

  delay('createOrder', 5001);
  const late = connector.createOrder(bid('late'));
  await wall.untilPending();
  assert.equal(await lookup('late'), undefined);
  wall.elapse();
  await assert.rejects(late, expired);
  assert.equal(await lookup('late'), undefined);
  assert.deepEqual(await connector.openOrders(), []);
  assert.deepEqual(await connector.balances(), [{ asset: 'USDT', free: '10000', locked: '0' }]);

  delay('createOrder', 5000);
  assert.equal((await wall.through(connector.createOrder(bid('onTime')))).status, 'open');
  assert.equal((await lookup('onTime'))?.status, 'open');

  delay('cancelOrder', 6000);
  await assert.rejects(wall.through(connector.cancelOrder('BTC-USDT', 'onTime')), expired);
  assert.equal((await lookup('onTime'))?.status, 'open');
  assert.equal((await connector.cancelOrder('BTC-USDT', 'onTime')).status, 'canceled');
}

import type { Execution } from '../binance/executions';
import type { BybitCategory } from './errors';
import { order } from './format';

/**
 * The Bybit v5 private `order` topic payload: `{id, topic, creationTime, data:[order]}`, one order as it
 * stands right after one change. The order fields come from the REST formatter (`order`), so a push and
 * a `/v5/order/realtime` read of the same order agree; the stream adds `category` and the few fields only
 * it carries. Contract orders carry `tpslMode` (as on REST), which is how ccxt tells them from spot ones
 * sharing the symbol id.
 */
export function orderMessage(
  topic: string,
  x: Execution,
  c: BybitCategory,
  id: string,
  now: number,
): Record<string, unknown> {
  const o = x.order;
  return {
    id,
    topic,
    creationTime: now,
    data: [
      {
        category: c,
        ...order(o, c),
        createType: c === 'spot' ? '' : 'CreateByUser',
        closedPnl: '0',
        // Bybit names the fee coin of a spot order; derivatives fees are in the settle coin.
        feeCurrency: c === 'spot' ? o.feeAsset : '',
      },
    ],
  };
}

import { add, compare, divide, multiply } from '../../../domain/decimal';
import type { FillView, OrderStatus, OrderView } from '../../orders';
import type { VenueMarket } from '../../venue-market';

/** Binance's execution types (`x`) the simulator's order changes map onto. */
export type ExecutionType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'AMENDMENT';

/** One execution report: the order as it stands right after it, and the fill it reports (TRADE). */
export interface Execution {
  type: ExecutionType;
  order: OrderView;
  fill?: FillView;
}

/** What was last reported of an open order. */
interface Reported {
  quantity: string;
  status: OrderStatus;
  filledQuantity: string;
  cumulativeQuote: string;
  /** Every fill of the account up to this trade id had been reported. */
  upToTradeId: number;
}

/** More than the simulator keeps per account (10 000 fills): the whole history. */
const ALL = Number.MAX_SAFE_INTEGER;
const isClosing = (s: OrderStatus): s is 'CANCELED' | 'EXPIRED' => s === 'CANCELED' || s === 'EXPIRED';

/**
 * Turns one account's order changes on a venue market into Binance execution reports. The simulator
 * tells a placement once, after all its fills, and a resting order once per fill, cancel or reduce;
 * Binance reports NEW, then one TRADE per fill (cumulative quantity and quote as of that fill), then
 * CANCELED or EXPIRED. Open orders are tracked from construction on (those open then count as reported
 * so far), so an order it does not know is a new placement.
 */
export class ExecutionTracker {
  private readonly open = new Map<string, Reported>();

  constructor(
    private readonly market: VenueMarket,
    private readonly account: string,
  ) {
    const upTo = this.newestTradeId();
    for (const o of market.openOrders(account)) this.open.set(o.orderId, reported(o, upTo));
  }

  /** The reports of one change, oldest first (none when nothing a report carries changed). */
  executions(o: OrderView): Execution[] {
    const before = this.open.get(o.orderId);
    const fills = this.fillsOf(o, before);
    const out: Execution[] = [];
    if (!before)
      out.push({
        type: 'NEW',
        order:
          fills.length === 0 && !isClosing(o.status)
            ? o
            : {
                ...o,
                status: 'NEW',
                filledQuantity: '0',
                cumulativeQuote: '0',
                averagePrice: null,
                fee: '0',
                updatedAt: o.createdAt,
              },
      });
    let filled = before?.filledQuantity ?? '0';
    let quote = before?.cumulativeQuote ?? '0';
    fills.forEach((f, i) => {
      filled = add(filled, f.quantity);
      quote = add(quote, multiply(f.price, f.quantity));
      // The change's own view for its last fill; the fills before it as they stood then.
      const current = i === fills.length - 1 && !isClosing(o.status);
      const order: OrderView = current
        ? o
        : {
            ...o,
            status: compare(filled, o.quantity) >= 0 ? 'FILLED' : 'PARTIALLY_FILLED',
            filledQuantity: filled,
            cumulativeQuote: quote,
            averagePrice: divide(quote, filled, 8, 'down'),
            updatedAt: f.ts,
          };
      out.push({ type: 'TRADE', order, fill: f });
    });
    if (isClosing(o.status)) out.push({ type: o.status, order: o });
    else if (before && fills.length === 0 && (before.quantity !== o.quantity || before.status !== o.status))
      out.push({ type: 'AMENDMENT', order: o });

    if (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')
      this.open.set(o.orderId, reported(o, this.newestTradeId()));
    else this.open.delete(o.orderId);
    return out;
  }

  /**
   * The fills of `o` not reported yet, oldest first. Trade ids grow across the venue market, so the scan
   * stops at the newest fill already accounted for (a new placement: at fills older than the order).
   */
  private fillsOf(o: OrderView, before: Reported | undefined): FillView[] {
    const all = this.market.accountFills(this.account, undefined, ALL);
    const out: FillView[] = [];
    for (let i = all.length - 1; i >= 0; i--) {
      const f = all[i];
      if (!f || (before ? f.tradeId <= before.upToTradeId : f.ts < o.createdAt)) break;
      if (f.orderId === o.orderId) out.push(f);
    }
    return out.reverse();
  }

  private newestTradeId(): number {
    return this.market.accountFills(this.account, undefined, 1).at(-1)?.tradeId ?? 0;
  }
}

const reported = (o: OrderView, upToTradeId: number): Reported => ({
  quantity: o.quantity,
  status: o.status,
  filledQuantity: o.filledQuantity,
  cumulativeQuote: o.cumulativeQuote,
  upToTradeId,
});

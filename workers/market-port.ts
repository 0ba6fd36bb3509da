import type { QuoteHub } from '../activities/quote-watch';
import type { QuotePort } from '../api/live/market-watch';

/** The API's market data (the dashboard's candles and touch) from the process's market-data hubs. */
export function quotePort(hubFor: (account: string) => Pick<QuoteHub, 'subscribe'>): QuotePort {
  return {
    follow: ({ venue, market, account }, symbol, onTouch) =>
      hubFor(account).subscribe({ venue, market }, symbol, ({ bid, ask, bidSize, askSize }) =>
        onTouch({ bid, ask, bidSize, askSize }),
      ),
  };
}

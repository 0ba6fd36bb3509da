import type { SimExchange } from '../../exchange';
import type { VenueMarket } from '../../venue-market';

/** What a route module of the front needs: the venue market a request addresses and its symbol lookup. */
export interface FrontContext {
  exchange: SimExchange;
  venue: string;
  market: VenueMarket;
  /** USD-M futures (`/fapi`) rather than spot (`/api`). */
  futures: boolean;
  /** Canonical symbol of a Binance one (`BTCUSDT`), or -1121 Invalid symbol. */
  symbolOf(binanceSymbol: string): string;
}

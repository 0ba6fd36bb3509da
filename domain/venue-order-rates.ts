import type { Venue } from './venues';

/**
 * Order-path calls per second Keel sends each venue by default: the venue's published order limit for one
 * account, taking the stricter where it publishes several (spot or derivatives, per account or per
 * instrument). The fleet keeps to it with Temporal's task-queue rate limit on the venue's activity queue,
 * however many workers poll it; `rateLimit` in the venue configuration (or KEEL_VENUE_<VENUE>_RATE_LIMIT)
 * sets another. Check them against the venue's current documentation before trading real money.
 */
export const PUBLISHED_ORDER_RATES: Readonly<Record<Venue, number>> = {
  // Spot: 100 orders per 10 s (ORDERS in exchangeInfo's rateLimits); USD-M futures allow more.
  binance: 10,
  // v5 create order: 10 per second per account for linear contracts, 20 for spot.
  bybit: 10,
  // Place order: 60 requests per 2 s per instrument.
  okx: 30,
  // Spot order placement: 5 per second was its published figure; kept as the safe one.
  mexc: 5,
  // Place order: 10 per second per account.
  bitget: 10,
  // Spot order placement: 10 per second per account.
  gate: 10,
};

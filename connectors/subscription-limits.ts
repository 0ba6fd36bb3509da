import type { MarketKind, Venue } from '../domain/venues';

/**
 * Venue WebSocket subscription limits that shape how many symbols go into one subscribe message and one
 * connection. Only published limits are listed; a venue market without an entry is unconstrained here.
 */
export interface SubscriptionLimits {
  /** Topics per subscribe request (Bybit spot: 10). */
  perRequest?: number;
  /** Subscriptions per connection (MEXC spot: 30; Binance: 1024 streams). */
  perConnection?: number;
}

export const SUBSCRIPTION_LIMITS: Partial<Record<`${Venue}/${MarketKind}`, SubscriptionLimits>> = {
  'bybit/spot': { perRequest: 10 },
  'mexc/spot': { perConnection: 30 },
  'binance/spot': { perConnection: 1024 },
  'binance/perp': { perConnection: 1024 },
};

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Symbols split into connections, each a list of subscribe requests, within the venue's limits. */
export function planSubscriptions(
  venue: Venue,
  market: MarketKind,
  symbols: readonly string[],
): string[][][] {
  const limits = SUBSCRIPTION_LIMITS[`${venue}/${market}`] ?? {};
  const unique = [...new Set(symbols)];
  const connections = chunks(unique, limits.perConnection ?? Math.max(unique.length, 1));
  return connections.map((c) => chunks(c, limits.perRequest ?? Math.max(c.length, 1)));
}

import type { Pool } from 'pg';
import type { ConnectorFactory } from '../connectors/exchange-connector';
import type { PreTrade } from '../db/order-ledger';
import { midpoint } from '../domain/decimal';
import { accountKey, type RiskLimits } from '../domain/risk';
import type { MarketKind, Venue } from '../domain/venues';

interface Where {
  venue: Venue;
  market: MarketKind;
  account: string;
  symbol: string;
}

const FRESH_MS = 1_000;

/**
 * What the order path hands the risk check besides the ledger: the symbol's limits and, only when a price
 * band applies, the market's mid as the reference price. Both the band settings and the mids are kept for
 * a second in this process, so the band costs one venue call per symbol per second, not one per order.
 * Fetched before the ledger's locks are taken: a slow venue never holds up other placements.
 */
export function createPreTrade(pool: Pool, connectors: ConnectorFactory) {
  const mids = new Map<string, { at: number; mid: string | undefined }>();
  let bands: { at: number; keys: Set<string> } | undefined;

  async function storedBandApplies(where: Where): Promise<boolean> {
    if (!bands || Date.now() - bands.at > FRESH_MS) {
      const { rows } = await pool.query<{ key: string }>(
        `SELECT CASE WHEN scope = 'global' THEN '' ELSE scope_key END AS key FROM risk_limits WHERE limits ? 'priceBandBps'`,
      );
      bands = { at: Date.now(), keys: new Set(rows.map((row) => row.key)) };
    }
    return bands.keys.has('') || bands.keys.has(accountKey(where.venue, where.account));
  }

  async function mid(where: Where): Promise<string | undefined> {
    const key = `${where.venue}/${where.market}/${where.symbol}`;
    const cached = mids.get(key);
    if (cached && Date.now() - cached.at <= FRESH_MS) return cached.mid;
    const quote = await connectors(where.venue, where.market, where.account)
      .bestBidAsk(where.symbol)
      .catch(() => undefined);
    const value = quote ? midpoint(quote.bid, quote.ask) : undefined;
    mids.set(key, { at: Date.now(), mid: value });
    return value;
  }

  return async function preTradeFor(where: Where, limits: RiskLimits): Promise<PreTrade> {
    const band = limits.priceBandBps !== undefined || (await storedBandApplies(where));
    return band ? { limits, referencePrice: await mid(where) } : { limits };
  };
}
export type PreTradeFor = ReturnType<typeof createPreTrade>;

import { timingSafeEqual } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { ConnectorFactory, ExchangeConnector } from '../connectors/exchange-connector';
import { denyUnsent, killSwitchTally, liftProof, liveOrders, tagLiveOrders } from '../db/kill-switch';
import { markAbandoned, recordVenueOrder, type LedgerOrder } from '../db/order-ledger';
import {
  engageKillSwitch,
  liftKillSwitch,
  recordKillSwitchReport,
  setRiskLimits,
  setTradingState,
  type KillSwitchEngagement,
  type LimitsChange,
  type StateChange,
} from '../db/risk';
import {
  breakerStates,
  fillCashFlow,
  pruneObservations,
  recentDenials,
  samplePnl,
  tradedBooks,
  venueHealth,
  type VenueHealth,
} from '../db/risk-observations';
import { add, midpoint, multiply } from '../domain/decimal';
import type { KillSwitchTally, Trip } from '../domain/risk';
import type { MarketKind, Venue } from '../domain/venues';
import { cancelRecorded, sinceSentMs } from './place-order-once';

export interface RiskActivityDependencies {
  pool: Pool;
  connectors: ConnectorFactory;
  settleWindowMs: (venue: Venue) => number;
  /** KEEL_KILL_SWITCH_TOKEN: lifting the kill switch needs proof of it; unset, nothing lifts it. */
  killSwitchToken?: string | undefined;
}

/** What one pass of the kill switch's sweep found; the workflow sweeps until nothing is left. */
export interface SweepResult {
  tally: KillSwitchTally[];
  /** Orders not settled yet: in flight inside the settle window, or on a venue that did not answer. */
  left: number;
  /** Venues that failed during this pass (their orders are retried on the next). */
  unreachable: string[];
}

export interface BreakerWindows {
  latencyWindowMs: number;
  errorWindowMs: number;
  drawdownWindowMs?: number | undefined;
  denialWindowMs: number;
  /**
   * Whether to ask the venues for quotes this time (stale-quote breaker, unrealized PnL): one request per
   * traded book, so the workflow asks less often than it looks.
   */
  quotes: boolean;
}

export interface Observations {
  latency: VenueHealth[];
  errors: VenueHealth[];
  /** Per traded book: age of its latest quote in ms, or null when the venue gave none. */
  quotes: Array<{ venue: string; market: string; symbol: string; ageMs: number | null }>;
  pnl?: { now: string; peak: string };
  denials: number;
  /** States the breakers hold in the database now. */
  held: Trip[];
}

export function createRiskActivities(deps: RiskActivityDependencies) {
  const connectorOf = (row: Pick<LedgerOrder, 'venue' | 'market' | 'account'>): ExchangeConnector =>
    deps.connectors(row.venue as Venue, row.market, row.account);

  /** Brings one live order to an end for the kill switch; false while its fate cannot be known yet. */
  async function endOrder(row: LedgerOrder, incident: string): Promise<boolean> {
    if (row.status === 'intent' && (await denyUnsent(deps.pool, row.client_order_id, incident))) return true;
    const exchange = connectorOf(row);
    if (row.status === 'intent' || row.status === 'sending' || row.status === 'unknown') {
      const found = await exchange.fetchOrderByClientId(row.symbol, row.client_order_id);
      if (!found) {
        if (sinceSentMs(row) < deps.settleWindowMs(row.venue as Venue)) return false;
        await markAbandoned(deps.pool, row.client_order_id);
        return true;
      }
      const landed = await recordVenueOrder(deps.pool, found);
      if (landed.status !== 'open' && landed.status !== 'partially-filled') return true;
    }
    const cancelled = await cancelRecorded(deps.pool, exchange, row.symbol, row.client_order_id);
    if (cancelled) return cancelled.status !== 'open' && cancelled.status !== 'partially-filled';
    // The venue no longer knows it: what it became is looked up, and settled on the next pass.
    const found = await exchange.fetchOrderByClientId(row.symbol, row.client_order_id);
    if (found) await recordVenueOrder(deps.pool, found);
    return false;
  }

  return {
    async applyTradingState(change: StateChange): Promise<{ cleared: string[] }> {
      return setTradingState(deps.pool, change);
    },

    async applyRiskLimits(change: LimitsChange): Promise<void> {
      await setRiskLimits(deps.pool, change);
    },

    async engageKillSwitch(engagement: KillSwitchEngagement): Promise<void> {
      await engageKillSwitch(deps.pool, engagement);
    },

    /**
     * One pass over every live order Keel holds: intents are denied, orders in flight are looked up
     * (cancelled once they have landed, abandoned once proven never to), resting orders are cancelled.
     * Every outcome is written to the ledger before the next order; a retried pass redoes only what is
     * still live. A venue that fails leaves its orders for the next pass, not the others.
     */
    async sweepKillSwitch(input: { incident: string }): Promise<SweepResult> {
      let left = 0;
      const unreachable = new Set<string>();
      await tagLiveOrders(deps.pool, input.incident);
      for (const row of await liveOrders(deps.pool)) {
        Context.current().heartbeat(row.client_order_id);
        if (unreachable.has(row.venue)) {
          left += 1;
          continue;
        }
        try {
          if (!(await endOrder(row, input.incident))) left += 1;
        } catch {
          unreachable.add(row.venue);
          left += 1;
        }
      }
      const tally = await killSwitchTally(deps.pool, input.incident);
      await recordKillSwitchReport(deps.pool, input.incident, { tally, left, unreachable: [...unreachable] });
      return { tally, left, unreachable: [...unreachable] };
    },

    /** Lifts the kill switch when `proof` is liftProof(KEEL_KILL_SWITCH_TOKEN, incident); refused otherwise. */
    async liftKillSwitch(input: KillSwitchEngagement & { proof: string; report: unknown }): Promise<void> {
      if (!deps.killSwitchToken)
        throw ApplicationFailure.nonRetryable(
          'this worker has no KEEL_KILL_SWITCH_TOKEN: the kill switch cannot be lifted',
          'KillSwitchLiftRefused',
        );
      const expected = Buffer.from(liftProof(deps.killSwitchToken, input.incident), 'hex');
      const given = Buffer.from(input.proof, 'hex');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw ApplicationFailure.nonRetryable(
          `the proof does not match the kill switch token for ${input.incident}`,
          'KillSwitchLiftRefused',
        );
      await liftKillSwitch(deps.pool, input);
    },

    /** What the breakers look at, read from every worker's records and the venues' quotes. */
    async observeRisk(windows: BreakerWindows): Promise<Observations> {
      const [latency, errors, books, denials, held] = await Promise.all([
        venueHealth(deps.pool, windows.latencyWindowMs),
        venueHealth(deps.pool, windows.errorWindowMs),
        tradedBooks(deps.pool),
        recentDenials(deps.pool, windows.denialWindowMs),
        breakerStates(deps.pool),
      ]);
      const quotes: Observations['quotes'] = [];
      let unrealized = '0';
      for (const book of windows.quotes ? books : []) {
        const quote = await deps
          .connectors(book.venue as Venue, book.market as MarketKind, book.account)
          .bestBidAsk(book.symbol)
          .catch(() => undefined);
        quotes.push({
          venue: book.venue,
          market: book.market,
          symbol: book.symbol,
          ageMs: quote ? Math.max(0, Date.now() - quote.timestamp) : null,
        });
        const mark = quote ? midpoint(quote.bid, quote.ask) : book.lastPrice;
        if (mark) unrealized = add(unrealized, multiply(book.quantity, mark));
      }
      const observations: Observations = { latency, errors, quotes, denials, held };
      if (windows.drawdownWindowMs !== undefined && windows.quotes) {
        const now = add(await fillCashFlow(deps.pool), unrealized);
        observations.pnl = { now, peak: await samplePnl(deps.pool, now, windows.drawdownWindowMs) };
      }
      await pruneObservations(
        deps.pool,
        Math.max(windows.latencyWindowMs, windows.errorWindowMs, windows.drawdownWindowMs ?? 0) + 60_000,
      );
      return observations;
    },
  };
}

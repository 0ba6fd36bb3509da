import type { Pool } from 'pg';
import type { ConnectorFactory, FundingPayment } from '../connectors/exchange-connector';
import {
  ledgerPerpPositions,
  saveAccountSnapshot,
  type AccountSnapshot,
  type PositionDiscrepancy,
} from '../db/account-snapshots';
import { saveFundingPayments } from '../db/funding-payments';
import { compare } from '../domain/decimal';
import type { MarketKind, Venue } from '../domain/venues';
import { asFailure } from './market-snapshot';

export interface ReconcileAccountInput {
  venue: Venue;
  account: string;
  markets: MarketKind[];
  /** Perps whose funding rate to read besides those the venue or Keel's fills hold a position in. */
  fundingSymbols: string[];
  /** Read the funding settled at or after this time (ms): the account workflow's cursor. */
  fundingSince?: number;
}

export interface ReconcileAccountResult {
  takenAt: number;
  positions: AccountSnapshot['positions'];
  funding: AccountSnapshot['funding'];
  discrepancies: PositionDiscrepancy[];
  /**
   * Funding settled on the account's perps at or after `fundingSince`, oldest first (none without it).
   * Absent from results recorded before Keel read funding payments, which a replay still meets.
   */
  payments?: FundingPayment[];
}

/**
 * One reconciliation of an account with its venue: balances of each market, perp positions, funding
 * rates and the funding settled since the caller's cursor (stored once per payment), compared with what Keel's fills add up to, stored as a snapshot. A perp position the venue holds
 * and the fills do not explain (or the other way round) is a discrepancy: something happened behind Keel's
 * back (a close on the venue's site, a liquidation, another program on the account).
 */
export function createAccountActivities(deps: { pool: Pool; connectors: ConnectorFactory }) {
  return {
    async reconcileAccount(input: ReconcileAccountInput): Promise<ReconcileAccountResult> {
      try {
        const balances: AccountSnapshot['balances'] = {};
        for (const market of input.markets)
          balances[market] = await deps.connectors(input.venue, market, input.account).balances();
        const perp = input.markets.includes('perp')
          ? deps.connectors(input.venue, 'perp', input.account)
          : undefined;
        const positions = perp
          ? (await perp.positions()).map(({ symbol, quantity, markPrice }) => ({
              symbol,
              quantity,
              markPrice,
            }))
          : [];
        const ledger = perp
          ? await ledgerPerpPositions(deps.pool, input.venue, input.account)
          : new Map<string, string>();
        const inUse = [
          ...new Set([
            ...input.fundingSymbols,
            ...positions.map((position) => position.symbol),
            ...[...ledger].filter(([, quantity]) => compare(quantity, '0') !== 0).map(([symbol]) => symbol),
          ]),
        ].sort();
        const funding = perp
          ? await Promise.all(
              inUse.map(async (symbol) => {
                const { rate, nextFundingTime } = await perp.fundingRate(symbol);
                return { symbol, rate, nextFundingTime };
              }),
            )
          : [];
        const venueBySymbol = new Map(positions.map((position) => [position.symbol, position.quantity]));
        const discrepancies = [...new Set([...venueBySymbol.keys(), ...ledger.keys()])]
          .sort()
          .map((symbol) => ({
            symbol,
            venueQuantity: venueBySymbol.get(symbol) ?? '0',
            ledgerQuantity: ledger.get(symbol) ?? '0',
          }))
          .filter((entry) => compare(entry.venueQuantity, entry.ledgerQuantity) !== 0);
        const payments =
          perp && input.fundingSince !== undefined ? await perp.fundingPayments(input.fundingSince) : [];
        await saveFundingPayments(deps.pool, input.venue, input.account, payments);
        await saveAccountSnapshot(deps.pool, {
          venue: input.venue,
          account: input.account,
          balances,
          positions,
          funding,
          discrepancies,
        });
        return { takenAt: Date.now(), positions, funding, discrepancies, payments };
      } catch (error) {
        throw asFailure(error);
      }
    },
  };
}

import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { ConnectorFactory, Instrument } from '../connectors/exchange-connector';
import {
  SnapshotConflictError,
  saveScannerSnapshot,
  scannerSnapshotPairs,
  type NewScannerSnapshot,
  type SnapshotPairs,
} from '../db/scanner-snapshots';
import type { MarketKind, Venue } from '../domain/venues';
import { asFailure } from './market-snapshot';

export type { ListingTuple, NewScannerSnapshot, SnapshotPairs } from '../db/scanner-snapshots';

/**
 * Pair discovery's I/O (docs/scanner.md): one source's instruments through the connector port, and the
 * versioned snapshot in PostgreSQL. The workflow (workflows/scanner/discovery-workflow.ts) does the rest
 * with the pure core. Retries are the workflow's retry policy, not loops here.
 */

export interface ScannerDiscoveryDependencies {
  pool: Pool;
  connectors: ConnectorFactory;
}

/** One scanner source, as the workflow names it (`workflows/scanner/discovery/sources.ts`). */
export interface SourceRef {
  /** `binance-spot`, … */
  name: string;
  venue: Venue;
  market: MarketKind;
}

/**
 * One instrument as a tuple, to keep the payload small (a venue lists up to ~2,000 instruments):
 * canonical symbol, venue symbol, base, quote, market, tick, lot, min qty, max qty (null: none), min
 * notional, trading.
 */
export type InstrumentTuple = [
  symbol: string,
  venueSymbol: string,
  base: string,
  quote: string,
  market: MarketKind,
  tickSize: string,
  lotSize: string,
  minQuantity: string,
  maxQuantity: string | null,
  minNotional: string,
  trading: boolean,
];

export const instrumentTuple = (i: Instrument): InstrumentTuple => [
  i.symbol,
  i.venueSymbol,
  i.base,
  i.quote,
  i.market,
  i.tickSize,
  i.lotSize,
  i.minQuantity,
  i.maxQuantity ?? null,
  i.minNotional,
  i.trading,
];

export function createScannerDiscoveryActivities(deps: ScannerDiscoveryDependencies) {
  return {
    /**
     * Every instrument one source lists (trading or not). A transient venue error is thrown as it is, for
     * the workflow's retry policy; one retrying cannot fix (bad credentials, no such venue) fails at once.
     */
    async fetchSourceInstruments(input: {
      source: SourceRef;
      account: string;
    }): Promise<{ source: string; instruments: InstrumentTuple[] }> {
      try {
        const connector = deps.connectors(input.source.venue, input.source.market, input.account);
        const instruments = await connector.instruments();
        return { source: input.source.name, instruments: instruments.map(instrumentTuple) };
      } catch (error) {
        throw asFailure(error);
      }
    },

    /** The newest snapshot's symbols and pairs per direction (what the next one is diffed against), or null. */
    async latestDiscoverySnapshot(): Promise<SnapshotPairs | null> {
      return (await scannerSnapshotPairs(deps.pool)) ?? null;
    },

    /**
     * Saves the snapshot as the next version in one transaction. A retry of the same run returns the
     * version it already saved; a snapshot saved meanwhile by another run fails it with
     * `SnapshotConflict` (non-retryable: the workflow diffs again against the new latest).
     */
    async saveDiscoverySnapshot(
      snapshot: NewScannerSnapshot,
    ): Promise<{ version: number; alreadySaved: boolean }> {
      try {
        const { version, alreadySaved } = await saveScannerSnapshot(deps.pool, snapshot);
        return { version, alreadySaved };
      } catch (error) {
        if (error instanceof SnapshotConflictError)
          throw ApplicationFailure.nonRetryable(error.message, 'SnapshotConflict', {
            expected: error.expected,
            latest: error.latest,
          });
        throw error;
      }
    },
  };
}

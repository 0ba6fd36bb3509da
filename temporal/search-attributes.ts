import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Keel's custom search attributes: registered on the dev server at start and on an external server by
 * `ensureSearchAttributes`, so the Web UI and `temporal workflow list --query` can filter on them.
 * Deterministic (no I/O): workflows import the typed keys too.
 */
export const keelSearchAttributes = {
  Symbol: 'Keyword',
  Strategy: 'Keyword',
  Exchange: 'Keyword',
  Shard: 'Int',
  SymbolStatus: 'Keyword',
  ScannerDirection: 'Keyword',
  ScannerOutcome: 'Keyword',
} as const;

export type KeelSearchAttributeName = keyof typeof keelSearchAttributes;

export const SymbolKey = defineSearchAttributeKey('Symbol', SearchAttributeType.KEYWORD);
export const StrategyKey = defineSearchAttributeKey('Strategy', SearchAttributeType.KEYWORD);
export const ExchangeKey = defineSearchAttributeKey('Exchange', SearchAttributeType.KEYWORD);
export const ShardKey = defineSearchAttributeKey('Shard', SearchAttributeType.INT);
/** A symbol workflow's status (running, paused, degraded, failed, …): `SymbolStatus = "failed"` finds trouble. */
export const SymbolStatusKey = defineSearchAttributeKey('SymbolStatus', SearchAttributeType.KEYWORD);
/** A scanner tracker's direction (`binance-spot>bybit-perp`); its symbol is in `Symbol`. */
export const ScannerDirectionKey = defineSearchAttributeKey('ScannerDirection', SearchAttributeType.KEYWORD);
/** How a scanner tracker closed: CONVERGED, EXPIRED or FEED_DOWN (unset while it runs). */
export const ScannerOutcomeKey = defineSearchAttributeKey('ScannerOutcome', SearchAttributeType.KEYWORD);

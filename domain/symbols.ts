import { z } from 'zod';
import type { MarketKind, Venue } from './venues';

/**
 * Symbol normalization, pure. Keel's canonical form is `BASE-QUOTE` (`BTC-USDT`); only USDT-quoted spot
 * pairs and USDT-margined linear perpetuals are in scope. Parsing is strict per venue and market: a
 * symbol in another venue's or market's form is refused rather than guessed at, and the quote must be
 * exactly `USDT` (never a substring match: `BTCUSDTM`, `USDT.E`, `BTC-USD-SWAP` are all refused).
 */

export const QUOTE = 'USDT';
const ASSET = /^[A-Z0-9]{1,20}$/;

/** A symbol in Keel's canonical form, `BTC-USDT`: every boundary (API, workflows, connectors) takes this one. */
export const CanonicalSymbolSchema = z
  .string()
  .max(31)
  .regex(/^[A-Z0-9]{1,20}-[A-Z0-9]{1,10}$/, 'must be a canonical symbol such as BTC-USDT');
export type CanonicalSymbol = z.infer<typeof CanonicalSymbolSchema>;

type Form = { kind: 'concat' } | { kind: 'separated'; separator: string; suffix: string };

const FORMS: Record<Venue, Record<MarketKind, Form>> = {
  binance: { spot: { kind: 'concat' }, perp: { kind: 'concat' } },
  bybit: { spot: { kind: 'concat' }, perp: { kind: 'concat' } },
  okx: {
    spot: { kind: 'separated', separator: '-', suffix: '' },
    perp: { kind: 'separated', separator: '-', suffix: '-SWAP' },
  },
  mexc: { spot: { kind: 'concat' }, perp: { kind: 'separated', separator: '_', suffix: '' } },
  bitget: { spot: { kind: 'concat' }, perp: { kind: 'concat' } },
  gate: {
    spot: { kind: 'separated', separator: '_', suffix: '' },
    perp: { kind: 'separated', separator: '_', suffix: '' },
  },
};

export function canonicalSymbol(base: string, quote: string): string | undefined {
  if (quote !== QUOTE || !ASSET.test(base) || base === QUOTE) return undefined;
  return `${base}-${quote}`;
}

/** `BTC-USDT` -> `{ base: 'BTC', quote: 'USDT' }`, or undefined if not canonical and USDT-quoted. */
export function splitCanonical(symbol: string): { base: string; quote: string } | undefined {
  const parts = symbol.split('-');
  if (parts.length !== 2) return undefined;
  const [base = '', quote = ''] = parts;
  return canonicalSymbol(base, quote) === symbol ? { base, quote } : undefined;
}

/** A venue's own symbol (`BTCUSDT`, `BTC-USDT-SWAP`, `BTC_USDT`) to canonical, strictly for that venue market. */
export function venueToCanonical(venue: Venue, market: MarketKind, venueSymbol: string): string | undefined {
  const form = FORMS[venue][market];
  if (form.kind === 'concat') {
    if (!venueSymbol.endsWith(QUOTE)) return undefined;
    return canonicalSymbol(venueSymbol.slice(0, -QUOTE.length), QUOTE);
  }
  if (!venueSymbol.endsWith(form.suffix)) return undefined;
  const body = form.suffix ? venueSymbol.slice(0, -form.suffix.length) : venueSymbol;
  const parts = body.split(form.separator);
  if (parts.length !== 2) return undefined;
  const [base = '', quote = ''] = parts;
  return canonicalSymbol(base, quote);
}

/** Canonical to the venue's own symbol. */
export function canonicalToVenue(venue: Venue, market: MarketKind, symbol: string): string | undefined {
  const s = splitCanonical(symbol);
  if (!s) return undefined;
  const form = FORMS[venue][market];
  return form.kind === 'concat'
    ? `${s.base}${s.quote}`
    : `${s.base}${form.separator}${s.quote}${form.suffix}`;
}

import type { MarketKind, Venue } from '../domain/venues';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type ClientOrderId = Brand<string, 'ClientOrderId'>;
export type VenueOrderId = Brand<string, 'VenueOrderId'>;
export type AccountId = Brand<string, 'AccountId'>;
/** Canonical symbol, base-quote, e.g. `BTC-USDT`. */
export type SymbolId = Brand<string, 'SymbolId'>;

export const asClientOrderId = (s: string): ClientOrderId => s as ClientOrderId;
export const asVenueOrderId = (s: string): VenueOrderId => s as VenueOrderId;
export const asAccountId = (s: string): AccountId => s as AccountId;
export const asSymbolId = (s: string): SymbolId => s as SymbolId;

/** The venues the simulator serves: the first four Keel knows. */
export const VENUE_NAMES = ['binance', 'bybit', 'okx', 'mexc'] as const satisfies readonly Venue[];
export type VenueName = (typeof VENUE_NAMES)[number];
export type { MarketKind };

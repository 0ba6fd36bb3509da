import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import { VENUE_SPECS } from './venues';
import type { CcxtVenue } from './venues';

export interface CcxtCredentials {
  apiKey: string | undefined;
  secret: string | undefined;
  password: string | undefined;
}

/** `KEEL_<VENUE>_API_KEY`, `KEEL_<VENUE>_SECRET` (and `KEEL_OKX_PASSWORD` for OKX's passphrase). */
export function credentialsFromEnv(venue: CcxtVenue, env: NodeJS.ProcessEnv = process.env): CcxtCredentials {
  const prefix = `KEEL_${venue.toUpperCase()}_`;
  return {
    apiKey: env[`${prefix}API_KEY`] || undefined,
    secret: env[`${prefix}SECRET`] || undefined,
    password: env[`${prefix}PASSWORD`] || undefined,
  };
}

export interface SharedExchange {
  exchange: Exchange;
  /** Values that must never appear in logs or errors. */
  secrets: readonly (string | undefined)[];
  /** One loadMarkets per instance, shared by every connector on it. */
  markets(): Promise<void>;
}

const CLASSES = {
  binance: ccxt.binance,
  bybit: ccxt.bybit,
  okx: ccxt.okx,
  mexc: ccxt.mexc,
} as const;

const shared = new Map<string, SharedExchange>();

export interface SharedExchangeOptions {
  /** Replaces entries of `exchange.urls.api` (e.g. a loopback Binance-compatible front). */
  apiUrls?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}

/**
 * One ccxt instance per venue per process (per API URL set), so every connector for that venue shares
 * its rate limiter and market cache. Rate limiting on, ccxt's own retries off: retrying order entry
 * is the caller's decision, after looking the order up by client id.
 */
export function sharedExchange(venue: CcxtVenue, opts: SharedExchangeOptions = {}): SharedExchange {
  const key = `${venue} ${JSON.stringify(opts.apiUrls ?? {})}`;
  const existing = shared.get(key);
  if (existing) return existing;
  const spec = VENUE_SPECS[venue];
  const creds = credentialsFromEnv(venue, opts.env);
  const exchange: Exchange = new CLASSES[venue]({
    apiKey: creds.apiKey,
    secret: creds.secret,
    password: creds.password,
    enableRateLimit: true,
    timeout: 10_000,
    options: { ...spec.options, maxRetriesOnFailure: 0 },
  });
  exchange.verbose = false;
  if (opts.apiUrls) {
    // Every endpoint family not overridden is pointed at a dead loopback port, so an override can
    // never leak a request to the real venue.
    const api = exchange.urls['api'] as Record<string, string>;
    const dead = Object.fromEntries(Object.keys(api).map((k) => [k, 'http://127.0.0.1:9/not-configured']));
    exchange.urls['api'] = { ...dead, ...opts.apiUrls };
  }
  let loading: Promise<void> | undefined;
  const entry: SharedExchange = {
    exchange,
    secrets: [creds.apiKey, creds.secret, creds.password],
    markets: () => {
      loading ??= exchange.loadMarkets().then(
        () => undefined,
        (e: unknown) => {
          loading = undefined;
          throw e;
        },
      );
      return loading;
    },
  };
  shared.set(key, entry);
  return entry;
}

/** Forgets every shared instance (tests; a process normally keeps them for its lifetime). */
export function resetSharedExchanges(): void {
  shared.clear();
}

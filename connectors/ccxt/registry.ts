import { Agent } from 'node:http';
import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import { assertSendable } from '../send-deadline';
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

const PRO_CLASSES = {
  binance: ccxt.pro.binance,
  bybit: ccxt.pro.bybit,
  okx: ccxt.pro.okx,
  mexc: ccxt.pro.mexc,
} as const;

const shared = new Map<string, SharedExchange>();

export interface SharedExchangeOptions {
  /**
   * The account's keys, resolved by the worker from its venue configuration (config/venues.ts); without
   * them, `KEEL_<VENUE>_*` variables of `env`. Each account gets instances of its own.
   */
  credentials?: CcxtCredentials;
  /** The Keel account the credentials belong to: instances are shared per venue and account. */
  account?: string;
  /** ccxt's testnet URLs (`setSandboxMode`). */
  sandbox?: boolean;
  /** Replaces entries of `exchange.urls.api` (e.g. a loopback Binance-compatible front). */
  apiUrls?: Record<string, string>;
  /**
   * Replaces entries of `exchange.urls.api.ws` on the ccxt.pro instance (e.g. the front's stream). An
   * entry may be a nested table: bybit keys its public sockets by market (`public.spot`, `public.linear`).
   */
  wsUrls?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

const DEAD_HTTP = 'http://127.0.0.1:9/not-configured';
const DEAD_WS = 'ws://127.0.0.1:9/not-configured';

/** Every string in a (nested) URL table replaced by `dead`. */
function deadTable(table: unknown, dead: string): unknown {
  if (typeof table === 'string') return dead;
  if (table === null || typeof table !== 'object') return table;
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, deadTable(v, dead)]));
}

const instanceKey = (venue: CcxtVenue, opts: SharedExchangeOptions): string =>
  `${venue} ${opts.account ?? ''} ${opts.sandbox ? 'sandbox' : ''} ${JSON.stringify(opts.apiUrls ?? {})} ${JSON.stringify(opts.wsUrls ?? {})}`;

const credentialsOf = (venue: CcxtVenue, opts: SharedExchangeOptions): CcxtCredentials =>
  opts.credentials ?? credentialsFromEnv(venue, opts.env);

function build(venue: CcxtVenue, opts: SharedExchangeOptions, pro: boolean): Exchange {
  const spec = VENUE_SPECS[venue];
  const creds = credentialsOf(venue, opts);
  const Cls = pro ? PRO_CLASSES[venue] : CLASSES[venue];
  const exchange: Exchange = new Cls({
    apiKey: creds.apiKey,
    secret: creds.secret,
    password: creds.password,
    enableRateLimit: true,
    timeout: 10_000,
    options: { ...spec.options, maxRetriesOnFailure: 0 },
  });
  exchange.verbose = false;
  if (opts.sandbox) exchange.setSandboxMode(true);
  // Every request passes here when it finally leaves (after ccxt's rate-limit queue): an order request
  // past the deadline its placer set is dropped, unsent (connectors/send-deadline.ts).
  const send = exchange.fetch.bind(exchange);
  exchange.fetch = (url, method, headers, body) => {
    assertSendable();
    return send(url, method, headers, body);
  };
  if (opts.apiUrls || opts.wsUrls) {
    // Every endpoint family not overridden is pointed at a dead loopback port, so an override can
    // never leak a request (or a socket) to the real venue.
    const api = exchange.urls['api'] as Record<string, unknown>;
    const { ws, ...rest } = api;
    const table: Record<string, unknown> = { ...(deadTable(rest, DEAD_HTTP) as object), ...opts.apiUrls };
    if (ws !== undefined) table['ws'] = { ...(deadTable(ws, DEAD_WS) as object), ...opts.wsUrls };
    exchange.urls['api'] = table;
    // ccxt refuses plain ws:// (a loopback front) unless an http agent is loaded.
    if (pro) exchange.httpAgent = new Agent();
  }
  return exchange;
}

/**
 * One ccxt instance per venue per process (per API URL set), so every connector for that venue shares
 * its rate limiter and market cache. Rate limiting on, ccxt's own retries off: retrying order entry
 * is the caller's decision, after looking the order up by client id.
 */
export function sharedExchange(venue: CcxtVenue, opts: SharedExchangeOptions = {}): SharedExchange {
  const key = instanceKey(venue, opts);
  const existing = shared.get(key);
  if (existing) return existing;
  const creds = credentialsOf(venue, opts);
  const exchange = build(venue, opts, false);
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

export interface SharedProExchange {
  exchange: Exchange;
  secrets: readonly (string | undefined)[];
  /** Watchers currently holding the instance. */
  readonly users: number;
  /** Takes a hold; waits for a close still in progress (a closing instance must not take new sockets). */
  acquire(): Promise<void>;
  /** Drops a hold; the last one closes every socket of the instance (`exchange.close()`). */
  release(): Promise<void>;
}

const sharedPro = new Map<string, SharedProExchange>();
/** Each instance's `trackDelays` cleanup, for `resetSharedExchanges`. */
const proCleanups = new Map<SharedProExchange, () => void>();

/**
 * ccxt.pro schedules its own background calls (binance's listenKey keepalive every 20 minutes) with
 * `delay`, a bare `setTimeout` nothing clears: such a timer would keep the process alive and call the
 * venue after the instance closed. They are kept here and cleared with the instance's sockets; the
 * user-data logins they kept alive are forgotten too (`lastAuthenticatedTime`), so the next watch
 * logs in afresh and schedules its own keepalive.
 */
function trackDelays(exchange: Exchange): () => void {
  const timers = new Set<NodeJS.Timeout>();
  exchange.delay = (timeout: number, method: unknown, ...args: unknown[]): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      // ccxt's own delay drops the result too; its keepalive handles its failures itself.
      (exchange.spawn(method, ...args) as Promise<unknown>).catch(() => undefined);
    }, timeout);
    timers.add(t);
  };
  return () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const bucket of Object.values(exchange.options as Record<string, unknown>))
      if (bucket !== null && typeof bucket === 'object' && 'lastAuthenticatedTime' in bucket)
        (bucket as Record<string, unknown>)['lastAuthenticatedTime'] = 0;
  };
}

/**
 * ccxt.pro 4.5.84 sometimes rejects a future nobody awaits: binance's `authenticate:signature:spot`
 * (created ahead of the user-data subscribe for concurrent callers) when the venue refuses that
 * subscription. Node ends the process on such an unhandled rejection. Every future a socket client of
 * the instance makes gets a no-op handler; the callers awaiting it still see the rejection.
 */
function handleOrphanRejections(exchange: Exchange): void {
  const clientOf = exchange.client.bind(exchange);
  const patched = new WeakSet<object>();
  exchange.client = (url) => {
    const client = clientOf(url);
    if (!patched.has(client)) {
      patched.add(client);
      const future = client.future.bind(client);
      client.future = (messageHash: string): unknown => {
        const f = future(messageHash) as Promise<unknown>;
        f.catch(() => undefined);
        return f;
      };
    }
    return client;
  };
}

/**
 * The ccxt.pro instance of a venue (same credentials and URL overrides as the REST one), shared by
 * every watcher in the process. `slot` > 0 gives further instances, one per extra connection a venue's
 * per-connection subscription limit forces (ccxt keeps one socket per URL per instance); a named slot
 * gives an instance of its own to one kind of stream (the private order streams, one per market).
 */
export function sharedProExchange(
  venue: CcxtVenue,
  opts: SharedExchangeOptions = {},
  slot: number | string = 0,
): SharedProExchange {
  const key = `${instanceKey(venue, opts)} #${slot}`;
  const existing = sharedPro.get(key);
  if (existing) return existing;
  const creds = credentialsOf(venue, opts);
  const exchange = build(venue, opts, true);
  handleOrphanRejections(exchange);
  const clearDelays = trackDelays(exchange);
  let users = 0;
  let closing: Promise<void> | undefined;
  const entry: SharedProExchange = {
    exchange,
    secrets: [creds.apiKey, creds.secret, creds.password],
    get users() {
      return users;
    },
    async acquire() {
      users++;
      while (closing) await closing;
    },
    async release() {
      users = Math.max(0, users - 1);
      if (users > 0) return;
      closing ??= exchange
        .close()
        .catch(() => undefined)
        .finally(() => {
          clearDelays();
          closing = undefined;
        });
      await closing;
    },
  };
  sharedPro.set(key, entry);
  proCleanups.set(entry, clearDelays);
  return entry;
}

/** Forgets every shared instance (tests; a process normally keeps them for its lifetime). */
export function resetSharedExchanges(): void {
  shared.clear();
  for (const [p, clearDelays] of proCleanups) {
    clearDelays();
    void p.exchange.close().catch(() => undefined);
  }
  proCleanups.clear();
  sharedPro.clear();
}

const proFeatures = new Map<CcxtVenue, Record<string, unknown>>();

/** What the venue's ccxt.pro class streams (`has`), read once per venue from a bare instance. */
export function proHas(venue: CcxtVenue, feature: string): boolean {
  let has = proFeatures.get(venue);
  if (!has) {
    has = new PRO_CLASSES[venue]().has;
    proFeatures.set(venue, has);
  }
  return has[feature] === true;
}

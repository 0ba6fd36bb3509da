import { setTimeout as sleep } from 'node:timers/promises';
import { StartupError } from '../config/startup-error';
import {
  unconfiguredVenueAccount,
  type AccountSetup,
  type VenueSetup,
  type VenuesConfig,
} from '../config/venues';
import { createCcxtConnector, sharedExchange, VENUE_SPECS, type CcxtVenue } from '../connectors/ccxt';
import {
  ConnectorError,
  type ConnectorFactory,
  type ExchangeConnector,
} from '../connectors/exchange-connector';
import { simConnectorFactory } from '../connectors/sim/connector-factory';
import { createSimHttpConnector } from '../connectors/sim/http-connector';
import type { AccountState } from '../db/venue-accounts';
import type { MarketKind, Venue } from '../domain/venues';
import type { SimExchange } from '../sim';
import { binanceFrontApiUrls, binanceFrontWsUrls } from '../sim/fronts/binance';
import { bybitFrontApiUrls, bybitFrontWsUrls } from '../sim/fronts/bybit';

/** The emulated fronts of Keel's simulator, by venue: the ccxt URL tables that point ccxt at them. */
const FRONTS: Partial<
  Record<Venue, (base: string) => { apiUrls: Record<string, string>; wsUrls: Record<string, unknown> }>
> = {
  binance: (base) => ({ apiUrls: binanceFrontApiUrls(base), wsUrls: binanceFrontWsUrls(base) }),
  bybit: (base) => ({ apiUrls: bybitFrontApiUrls(base), wsUrls: bybitFrontWsUrls(base) }),
};

const isCcxtVenue = (venue: Venue): venue is CcxtVenue => Object.hasOwn(VENUE_SPECS, venue);

export interface AccountCheck {
  venue: Venue;
  account: string;
  state: AccountState;
  detail: string;
  /** The request budget this process's client keeps to for the account. */
  rateLimit: string;
}

export interface VenueConnectors {
  connectors: ConnectorFactory;
  /** See ActivityDependencies.settleWindowMs: a lookup on the in-process simulator is final at once. */
  settleWindowMs: (venue: Venue) => number;
  /** One cheap authenticated read per configured account (balances), each bounded by `timeoutMs`. */
  checkAccounts(timeoutMs?: number): Promise<AccountCheck[]>;
}

/**
 * The worker's one connector factory, built from the venue configuration: the in-process simulator
 * (`sim`, needing `simExchange`), the networked simulator (`sim-http`) and ccxt venues (`ccxt`, on the
 * venue itself, its testnet, or a simulator front), one connector per venue market and account, built on
 * first use. Credentials are handed to the venue client here and nowhere else.
 */
export function venueConnectors(
  config: VenuesConfig,
  options: { simExchange?: SimExchange; paperExchange?: SimExchange } = {},
): VenueConnectors {
  const setups = new Map(config.venues.map((setup) => [setup.venue, setup]));
  for (const setup of config.venues) validate(config.source, setup, options);
  const sim = options.simExchange ? simConnectorFactory(options.simExchange) : undefined;
  const paper = options.paperExchange ? simConnectorFactory(options.paperExchange) : undefined;
  const cache = new Map<string, ExchangeConnector>();

  const connectors: ConnectorFactory = (venue, market, account) => {
    const unconfigured = unconfiguredVenueAccount(config, { venue, market, account });
    if (unconfigured)
      throw new ConnectorError(
        unconfigured.missing === 'account' ? 'auth' : 'unknown-symbol',
        unconfigured.message,
      );
    const setup = setups.get(venue)!;
    const configured = setup.accounts.find((entry) => entry.name === account);
    const key = `${venue}/${market}/${account}`;
    let connector = cache.get(key);
    if (!connector) {
      connector = build(setup, market, account, configured, { sim, paper });
      cache.set(key, connector);
    }
    return connector;
  };

  return {
    connectors,
    // In-process engines (the simulator, paper venues) answer for good at once.
    settleWindowMs: (venue) => (['sim', 'paper'].includes(setups.get(venue)?.kind ?? '') ? 0 : 30_000),
    async checkAccounts(timeoutMs = 10_000) {
      const checks = config.venues.flatMap((setup) =>
        setup.accounts.map(async (account): Promise<AccountCheck> => {
          const market = setup.markets[0] ?? 'spot';
          const outcome = await checkAccount(() => connectors(setup.venue, market, account.name), timeoutMs);
          return {
            venue: setup.venue,
            account: account.name,
            ...outcome,
            rateLimit: rateLimitOf(setup, account),
          };
        }),
      );
      return Promise.all(checks);
    },
  };
}

/**
 * The options of an account's ccxt instances (shared per venue and account, connectors/ccxt/registry.ts):
 * the one place a credential's value is revealed, to the venue client.
 */
function ccxtOptions(setup: Extract<VenueSetup, { kind: 'ccxt' }>, account: AccountSetup | undefined) {
  const credentials = account?.credentials;
  return {
    venue: setup.venue as CcxtVenue,
    account: account?.name,
    sandbox: setup.sandbox,
    credentials: {
      apiKey: credentials?.apiKey.reveal(),
      secret: credentials?.secret.reveal(),
      password: credentials?.password?.reveal(),
    },
    ...(setup.frontUrl === undefined ? {} : FRONTS[setup.venue]?.(setup.frontUrl)),
  };
}

/** ccxt throttles each account's instance to the venue's published request rate (weights counted). */
function rateLimitOf(setup: VenueSetup, account: AccountSetup): string {
  if (setup.kind !== 'ccxt') return 'none (simulator)';
  const options = ccxtOptions(setup, account);
  const intervalMs = sharedExchange(options.venue, options).exchange.rateLimit ?? 0;
  return intervalMs > 0
    ? `ccxt throttle: ${Math.round(1000 / intervalMs)} request units/s per account and process`
    : 'ccxt: no throttle';
}

function validate(
  source: string,
  setup: VenueSetup,
  { simExchange, paperExchange }: { simExchange?: SimExchange; paperExchange?: SimExchange },
) {
  const key = `venues.${setup.venue}`;
  if (setup.kind === 'paper' && !paperExchange)
    throw new StartupError(
      `bad venue configuration in ${source}: ${key}.kind: paper needs the paper venues (workers/paper-venues.ts), which this process does not run`,
    );
  if (setup.kind === 'sim' && !simExchange)
    throw new StartupError(
      `bad venue configuration in ${source}: ${key}.kind: sim needs the in-process simulator, which this process does not run`,
    );
  if (setup.kind === 'ccxt' && !isCcxtVenue(setup.venue))
    throw new StartupError(
      `bad venue configuration in ${source}: ${key}.kind: ccxt is wired for ${Object.keys(VENUE_SPECS).join(', ')}, not ${setup.venue}`,
    );
  if (setup.kind === 'ccxt' && setup.frontUrl !== undefined && !FRONTS[setup.venue])
    throw new StartupError(
      `bad venue configuration in ${source}: ${key}.frontUrl: the simulator has no ${setup.venue} front (it has ${Object.keys(FRONTS).join(', ')}); remove frontUrl`,
    );
}

function build(
  setup: VenueSetup,
  market: MarketKind,
  account: string,
  configured: AccountSetup | undefined,
  engines: { sim: ConnectorFactory | undefined; paper: ConnectorFactory | undefined },
): ExchangeConnector {
  switch (setup.kind) {
    case 'sim':
    case 'paper': {
      const engine = engines[setup.kind];
      if (!engine) throw new ConnectorError('unknown-symbol', `this process runs no ${setup.kind} venues`);
      return engine(setup.venue, market, account);
    }
    case 'sim-http':
      return createSimHttpConnector({
        baseUrl: setup.url,
        venue: setup.venue as Parameters<typeof createSimHttpConnector>[0]['venue'],
        market,
        account,
      });
    case 'ccxt':
      return createCcxtConnector({ ...ccxtOptions(setup, configured), market });
  }
}

/** A venue that refuses the keys is `bad-credentials`; one that cannot be reached, `unreachable`. */
async function checkAccount(
  connector: () => ExchangeConnector,
  timeoutMs: number,
): Promise<{ state: AccountState; detail: string }> {
  const timer = new AbortController();
  try {
    const answer = await Promise.race([
      connector()
        .balances()
        .then((balances) => ({ state: 'ok' as const, detail: `${balances.length} balances read` })),
      sleep(timeoutMs, undefined, { signal: timer.signal }).then(
        () => ({ state: 'unreachable' as const, detail: `no answer within ${timeoutMs / 1000} s` }),
        () => ({ state: 'unreachable' as const, detail: 'aborted' }),
      ),
    ]);
    return answer;
  } catch (error) {
    if (error instanceof ConnectorError && error.kind === 'auth')
      return { state: 'bad-credentials', detail: error.message };
    if (error instanceof ConnectorError && error.retryable)
      return { state: 'unreachable', detail: error.message };
    return { state: 'error', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    timer.abort();
  }
}

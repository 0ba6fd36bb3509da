import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CanonicalSymbolSchema } from '../domain/symbols';
import { DecimalStringSchema } from '../domain/trading';
import { PUBLISHED_ORDER_RATES } from '../domain/venue-order-rates';
import {
  AccountNameSchema,
  MarketKindSchema,
  VenueSchema,
  type MarketKind,
  type Venue,
} from '../domain/venues';
import { Secret } from './secret';
import { StartupError } from './startup-error';
import { overrideAt, venueOverrides, withOverrides, type VenueOverride } from './venue-overrides';

/** The venues the in-process simulator serves: Keel's venues when no configuration file is given. */
export const SIMULATED_VENUES: readonly Venue[] = ['binance', 'bybit', 'okx', 'mexc'];

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name (letters, digits, "_")');

const CredentialSourceSchema = z.union(
  [
    z
      .object({
        env: z.object({ apiKey: envName, secret: envName, password: envName.optional() }).strict(),
      })
      .strict(),
    z.object({ file: z.string().min(1) }).strict(),
  ],
  {
    error:
      'must be { env: { apiKey: VAR, secret: VAR, password?: VAR } } or { file: path } (a JSON file of mode 0600)',
  },
);

const AccountSchema = z
  .object({ name: AccountNameSchema, credentials: CredentialSourceSchema.optional() })
  .strict();

const accounts = z.array(AccountSchema).default([]);

const RATE_LIMIT_RULE = 'must be a positive number of order-path calls per second';
/** Order-path calls per second the whole fleet sends the venue (default PUBLISHED_ORDER_RATES). */
const rateLimit = z
  .number({ error: RATE_LIMIT_RULE })
  .positive(RATE_LIMIT_RULE)
  .max(10_000, 'must be at most 10000 calls per second')
  .optional();

const SimVenueSchema = z.object({ kind: z.literal('sim'), rateLimit, accounts }).strict();
const SimHttpVenueSchema = z
  .object({
    kind: z.literal('sim-http'),
    /** The networked simulator (`npm run sim`), e.g. http://127.0.0.1:7700. */
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of a running simulator' }),
    markets: z.array(MarketKindSchema).min(1).default(['spot']),
    rateLimit,
    accounts,
  })
  .strict();
const CcxtVenueSchema = z
  .object({
    kind: z.literal('ccxt'),
    markets: z.array(MarketKindSchema).min(1).default(['spot']),
    /** ccxt's testnet URLs. */
    sandbox: z.boolean().default(false),
    /** A Keel simulator front speaking this venue's API at this base URL, instead of the venue. */
    frontUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    rateLimit,
    accounts: z.array(AccountSchema).min(1, 'list at least one account with its credentials'),
  })
  .strict();

const PaperVenueSchema = z
  .object({
    kind: z.literal('paper'),
    /** Recorded market data (the Binance capture format), one file per market and symbol. */
    replay: z
      .array(
        z
          .object({
            market: MarketKindSchema.default('spot'),
            symbol: CanonicalSymbolSchema,
            file: z.string().min(1),
          })
          .strict(),
      )
      .min(1, 'list the recordings to replay: [{ market, symbol, file }]'),
    /** Recording time runs this many times faster than the clock. */
    speed: z.number().positive().max(1000).default(1),
    /** What each paper account starts with: spot assets, and USDT also as perp margin. */
    balances: z
      .record(z.string().regex(/^[A-Z0-9]+$/, 'an asset name such as USDT'), DecimalStringSchema)
      .default({ USDT: '100000' }),
    rateLimit,
    accounts,
  })
  .strict();

const VenueEntrySchema = z.discriminatedUnion(
  'kind',
  [SimVenueSchema, SimHttpVenueSchema, CcxtVenueSchema, PaperVenueSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'must be one of sim, sim-http, ccxt, paper' : undefined,
  },
);

export const VenuesFileSchema = z.object({ venues: z.partialRecord(VenueSchema, VenueEntrySchema) }).strict();
export type VenuesFile = z.infer<typeof VenuesFileSchema>;

export interface AccountCredentials {
  apiKey: Secret;
  secret: Secret;
  password?: Secret | undefined;
}

export interface AccountSetup {
  name: string;
  /** Where its credentials come from (never their values). */
  credentialSource: 'env' | 'file' | 'none';
  credentials?: AccountCredentials | undefined;
}

export interface PaperReplay {
  market: MarketKind;
  symbol: string;
  /** Absolute path of the recording. */
  file: string;
}

export type VenueSetup = VenueSetupByKind & {
  /** Order-path calls per second the fleet sends it: its activity task queue's rate limit. */
  rateLimit: number;
};

type VenueSetupByKind =
  | { venue: Venue; kind: 'sim'; markets: MarketKind[]; accounts: AccountSetup[] }
  | {
      venue: Venue;
      kind: 'paper';
      markets: MarketKind[];
      replay: PaperReplay[];
      speed: number;
      balances: Record<string, string>;
      /** `keel` when the file lists none. */
      accounts: AccountSetup[];
    }
  | { venue: Venue; kind: 'sim-http'; url: string; markets: MarketKind[]; accounts: AccountSetup[] }
  | {
      venue: Venue;
      kind: 'ccxt';
      markets: MarketKind[];
      sandbox: boolean;
      frontUrl?: string | undefined;
      accounts: AccountSetup[];
    };

export interface VenuesConfig {
  /** The file it came from, or a description of the built-in default. */
  source: string;
  venues: VenueSetup[];
}

/** No file: the in-process simulator's venues, any account (the simulator opens accounts on demand). */
export function defaultVenuesConfig(): VenuesConfig {
  return {
    source: 'built-in: the in-process simulator (set KEEL_CONFIG to use a file)',
    venues: SIMULATED_VENUES.map((venue) => ({
      venue,
      kind: 'sim' as const,
      markets: ['spot', 'perp'],
      accounts: [],
      rateLimit: PUBLISHED_ORDER_RATES[venue],
    })),
  };
}

const fail = (source: string, key: string, message: string): never => {
  throw new StartupError(`bad venue configuration in ${source}: ${key}: ${message}`);
};

/**
 * Reads the venue configuration from `path` (YAML or JSON; KEEL_CONFIG), or the simulator default without
 * one, and resolves every account's credentials from `env` or its file. Any problem stops start-up with one
 * line naming the key and the fix; the values of credentials never appear in it.
 */
export function loadVenuesConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): VenuesConfig {
  const overrides = venueOverrides(
    env,
    VenueSchema.options,
    path === undefined ? 'the environment' : resolve(path),
  );
  if (path === undefined) {
    if (overrides.length === 0) return defaultVenuesConfig();
    const builtIn = Object.fromEntries(SIMULATED_VENUES.map((venue) => [venue, { kind: 'sim' }]));
    return venuesFrom('built-in venues with KEEL_VENUE_* overrides', { venues: builtIn }, overrides, env);
  }
  const source = resolve(path);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return fail(
      source,
      'KEEL_CONFIG',
      `cannot read the file (${code}); point KEEL_CONFIG at a readable file`,
    );
  }
  let raw: unknown;
  try {
    raw = extname(source) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return fail(source, '(file)', `not valid ${extname(source) === '.json' ? 'JSON' : 'YAML'}: ${detail}`);
  }
  return venuesFrom(source, raw, overrides, env);
}

/** The venues of a parsed file with the environment's overrides over it, validated and resolved. */
function venuesFrom(
  source: string,
  file: unknown,
  overrides: readonly VenueOverride[],
  env: NodeJS.ProcessEnv,
): VenuesConfig {
  const raw = withOverrides(file, overrides);
  const named = (raw as { venues?: unknown } | null)?.venues;
  for (const name of named && typeof named === 'object' ? Object.keys(named) : [])
    if (!VenueSchema.safeParse(name).success)
      fail(source, `venues.${name}`, `not a venue Keel knows; use one of ${VenueSchema.options.join(', ')}`);
  const parsed = VenuesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.join('.') || '(top)';
      const stray = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const exact =
        overrideAt(issue.path, overrides) ?? overrideAt([...issue.path, ...stray.slice(0, 1)], overrides);
      if (exact) return `${exact.variable} (${where}): ${issue.message}`;
      const related = overrides.filter((override) => override.venue === issue.path[1]);
      const set = related.length > 0 ? ` (with ${related.map((o) => o.variable).join(', ')} set)` : '';
      return `${where}: ${issue.message}${set}`;
    });
    throw new StartupError(`bad venue configuration in ${source}: ${problems.join('; ')}`);
  }
  const venues = Object.entries(parsed.data.venues).map(([name, entry]) =>
    setupOf(source, VenueSchema.parse(name), entry, env),
  );
  if (venues.length === 0) fail(source, 'venues', 'configure at least one venue');
  return { source, venues };
}

type VenueEntry = z.infer<typeof VenueEntrySchema>;

function setupOf(source: string, venue: Venue, entry: VenueEntry, env: NodeJS.ProcessEnv): VenueSetup {
  return {
    ...setupByKind(source, venue, entry, env),
    rateLimit: entry.rateLimit ?? PUBLISHED_ORDER_RATES[venue],
  };
}

function setupByKind(
  source: string,
  venue: Venue,
  entry: VenueEntry,
  env: NodeJS.ProcessEnv,
): VenueSetupByKind {
  const seen = new Set<string>();
  const accountSetups = entry.accounts.map((account, index) => {
    const key = `venues.${venue}.accounts.${index}`;
    if (seen.has(account.name))
      fail(
        source,
        `${key}.name`,
        `account "${account.name}" is listed twice; give each account its own name`,
      );
    seen.add(account.name);
    return accountOf(source, key, account, env);
  });
  switch (entry.kind) {
    case 'sim':
      return { venue, kind: 'sim', markets: ['spot', 'perp'], accounts: accountSetups };
    case 'sim-http':
      return { venue, kind: 'sim-http', url: entry.url, markets: entry.markets, accounts: accountSetups };
    case 'paper': {
      const replay = entry.replay.map((recording, index) => {
        const file = resolve(dirname(source), recording.file);
        if (!existsSync(file))
          fail(
            source,
            `venues.${venue}.replay.${index}.file`,
            `${file} does not exist; point it at a capture`,
          );
        return { market: recording.market, symbol: recording.symbol, file };
      });
      return {
        venue,
        kind: 'paper',
        markets: [...new Set(replay.map((recording) => recording.market))],
        replay,
        speed: entry.speed,
        balances: entry.balances,
        accounts: accountSetups.length > 0 ? accountSetups : [{ name: 'keel', credentialSource: 'none' }],
      };
    }
    case 'ccxt':
      entry.accounts.forEach((account, index) => {
        if (!account.credentials)
          fail(
            source,
            `venues.${venue}.accounts.${index}.credentials`,
            'a ccxt venue needs credentials: { env: { apiKey: VAR, secret: VAR } } or { file: path }',
          );
      });
      return {
        venue,
        kind: 'ccxt',
        markets: entry.markets,
        sandbox: entry.sandbox,
        frontUrl: entry.frontUrl,
        accounts: accountSetups,
      };
  }
}

type AccountEntry = z.infer<typeof AccountSchema>;

function accountOf(source: string, key: string, account: AccountEntry, env: NodeJS.ProcessEnv): AccountSetup {
  const from = account.credentials;
  if (!from) return { name: account.name, credentialSource: 'none' };
  if ('env' in from) {
    const read = (field: 'apiKey' | 'secret' | 'password') => {
      const variable = from.env[field];
      if (variable === undefined) return undefined;
      const value = env[variable];
      if (!value)
        fail(
          source,
          `${key}.credentials.env.${field}`,
          `environment variable ${variable} is not set; export it, or name the variable that holds it`,
        );
      return new Secret(value ?? '');
    };
    const apiKey = read('apiKey');
    const secret = read('secret');
    if (!apiKey || !secret)
      return fail(source, `${key}.credentials.env`, 'apiKey and secret are both needed');
    return {
      name: account.name,
      credentialSource: 'env',
      credentials: { apiKey, secret, password: read('password') },
    };
  }
  return { name: account.name, credentialSource: 'file', credentials: fromFile(source, key, from.file) };
}

const CredentialsFileSchema = z
  .object({ apiKey: z.string().min(1), secret: z.string().min(1), password: z.string().min(1).optional() })
  .strict();

/** A JSON file `{ apiKey, secret, password? }` only its owner can read (mode 0600 or stricter). */
function fromFile(source: string, key: string, file: string): AccountCredentials {
  const path = resolve(dirname(source), file);
  const fileKey = `${key}.credentials.file`;
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    return fail(
      source,
      fileKey,
      `${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}; create it or fix the path`,
    );
  }
  if ((mode & 0o077) !== 0)
    fail(
      source,
      fileKey,
      `${path} has mode ${(mode & 0o777).toString(8)}: others can read it; run chmod 600 ${path}`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // The parser's message may quote the file's text: say only where.
    return fail(
      source,
      fileKey,
      `${path} is not a JSON object { "apiKey": ..., "secret": ..., "password"?: ... }`,
    );
  }
  const parsed = CredentialsFileSchema.safeParse(raw);
  if (!parsed.success)
    return fail(
      source,
      fileKey,
      `${path} must hold { "apiKey", "secret", "password"? } as non-empty strings (${parsed.error.issues
        .map((issue) => issue.path.join('.') || 'its shape')
        .join(', ')} wrong)`,
    );
  return {
    apiKey: new Secret(parsed.data.apiKey),
    secret: new Secret(parsed.data.secret),
    password: parsed.data.password === undefined ? undefined : new Secret(parsed.data.password),
  };
}

/**
 * Why the configuration has nothing to trade `ref` on, or undefined: a venue or market it does not
 * configure, or an account it does not list (the in-process simulator without listed accounts takes any).
 */
export function unconfiguredVenueAccount(
  config: VenuesConfig,
  ref: { venue: string; market: MarketKind; account: string },
): { missing: 'venue' | 'market' | 'account'; message: string } | undefined {
  const setup = config.venues.find((entry) => entry.venue === ref.venue);
  if (!setup)
    return {
      missing: 'venue',
      message: `venue ${ref.venue} is not configured (configured: ${config.venues.map((entry) => entry.venue).join(', ')}; ${config.source})`,
    };
  if (!setup.markets.includes(ref.market))
    return {
      missing: 'market',
      message: `${ref.venue} is configured for ${setup.markets.join(', ')}, not ${ref.market}`,
    };
  const anyAccount = setup.kind === 'sim' && setup.accounts.length === 0;
  if (!anyAccount && !setup.accounts.some((account) => account.name === ref.account))
    return {
      missing: 'account',
      message: `account ${ref.account} is not configured on ${ref.venue} (configured: ${setup.accounts.map((account) => account.name).join(', ')})`,
    };
  return undefined;
}

/** What an operator may see of the configuration: no credential values, ever. */
export function describeVenues(config: VenuesConfig) {
  return config.venues.map((setup) => ({
    venue: setup.venue,
    kind: setup.kind,
    markets: setup.markets,
    ...(setup.kind === 'ccxt' ? { sandbox: setup.sandbox, emulated: setup.frontUrl !== undefined } : {}),
    ...(setup.kind === 'sim-http' ? { url: setup.url } : {}),
    ...(setup.kind === 'paper'
      ? { replay: setup.replay.map(({ market, symbol }) => `${market} ${symbol}`), speed: setup.speed }
      : {}),
    /** Empty on the in-process simulator: any account name opens an account there. */
    accounts: setup.accounts.map((account) => ({
      name: account.name,
      credentials: account.credentialSource,
    })),
  }));
}

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { StartupError } from '../../config/startup-error';
import { describeVenues, loadVenuesConfig, SIMULATED_VENUES } from '../../config/venues';
import { PUBLISHED_ORDER_RATES } from '../../domain/venue-order-rates';

const dir = mkdtempSync(join(tmpdir(), 'keel-venues-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const write = (text: string, name = `keel.config.${(files += 1)}.yaml`) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const KEY = 'k-4d1f0a9c7e2b';
const SECRET = 's-93b7e1f05c2a8d64';
const env = { BN_KEY: KEY, BN_SECRET: SECRET };

/** The one line start-up prints: a StartupError whose message matches every pattern. */
const refuses = (path: string, patterns: RegExp[], environment: NodeJS.ProcessEnv = env) => {
  assert.throws(
    () => loadVenuesConfig(path, environment),
    (error: unknown) => {
      assert.ok(error instanceof StartupError, `not a StartupError: ${String(error)}`);
      assert.ok(!error.message.includes('\n'), 'one line');
      for (const pattern of patterns) assert.match(error.message, pattern);
      assert.ok(!error.message.includes(KEY) && !error.message.includes(SECRET), 'no credential values');
      return true;
    },
  );
};

const ccxtBinance = (accounts: string) => `
venues:
  binance:
    kind: ccxt
    markets: [spot, perp]
    sandbox: true
    accounts:
${accounts}
`;

describe('venue configuration (KEEL_CONFIG)', () => {
  test('without a file: the in-process simulator, any account', () => {
    const config = loadVenuesConfig(undefined);
    assert.deepEqual(
      config.venues.map((setup) => [setup.venue, setup.kind, setup.accounts.length]),
      SIMULATED_VENUES.map((venue) => [venue, 'sim', 0]),
    );
  });

  test('a ccxt venue with credentials from the environment, and the simulator beside it', () => {
    const path = write(
      `${ccxtBinance(`      - name: main
        credentials: { env: { apiKey: BN_KEY, secret: BN_SECRET } }`)}
  bybit:
    kind: sim
`,
    );
    const config = loadVenuesConfig(path, env);
    const binance = config.venues.find((setup) => setup.venue === 'binance');
    assert.equal(binance?.kind, 'ccxt');
    assert.deepEqual(binance?.markets, ['spot', 'perp']);
    const account = binance?.accounts[0];
    assert.equal(account?.credentials?.apiKey.reveal(), KEY);
    assert.equal(account?.credentials?.secret.reveal(), SECRET);
    // However it is printed, a credential shows as [secret].
    const printed = [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      String(account?.credentials?.secret),
    ];
    for (const text of printed) {
      assert.ok(!text.includes(KEY) && !text.includes(SECRET), text);
    }
    assert.deepEqual(describeVenues(config)[0], {
      venue: 'binance',
      kind: 'ccxt',
      markets: ['spot', 'perp'],
      sandbox: true,
      emulated: false,
      accounts: [{ name: 'main', credentials: 'env' }],
    });
  });

  test('the same as JSON, with credentials from a file of mode 0600', () => {
    const secrets = join(dir, 'binance.json');
    writeFileSync(secrets, JSON.stringify({ apiKey: KEY, secret: SECRET }));
    chmodSync(secrets, 0o600);
    const path = write(
      JSON.stringify({
        venues: {
          binance: { kind: 'ccxt', accounts: [{ name: 'main', credentials: { file: 'binance.json' } }] },
        },
      }),
      'keel.config.json',
    );
    const account = loadVenuesConfig(path, {}).venues[0]?.accounts[0];
    assert.equal(account?.credentialSource, 'file');
    assert.equal(account?.credentials?.secret.reveal(), SECRET);
  });

  test('a credentials file others can read stops start-up, naming the key and the fix', () => {
    const secrets = join(dir, 'loose.json');
    writeFileSync(secrets, JSON.stringify({ apiKey: KEY, secret: SECRET }));
    chmodSync(secrets, 0o644);
    refuses(write(ccxtBinance(`      - name: main\n        credentials: { file: loose.json }`)), [
      /venues\.binance\.accounts\.0\.credentials\.file/,
      /mode 644/,
      /chmod 600/,
    ]);
  });

  test('an unknown venue kind, naming the key and the kinds there are', () => {
    refuses(write('venues:\n  binance:\n    kind: exchange\n'), [
      /venues\.binance/,
      /venues\.binance\.kind: must be one of sim, sim-http, ccxt, paper/,
    ]);
  });

  test('a credential variable that is not set', () => {
    refuses(
      write(
        ccxtBinance(`      - name: main\n        credentials: { env: { apiKey: BN_KEY, secret: NOT_SET } }`),
      ),
      [/venues\.binance\.accounts\.0\.credentials\.env\.secret/, /NOT_SET is not set/],
    );
  });

  test('a duplicate account', () => {
    const account = `      - name: main\n        credentials: { env: { apiKey: BN_KEY, secret: BN_SECRET } }`;
    refuses(write(ccxtBinance(`${account}\n${account}`)), [
      /venues\.binance\.accounts\.1\.name/,
      /"main" is listed twice/,
    ]);
  });

  test('a ccxt account without credentials, a venue Keel does not know, a key that does not exist', () => {
    refuses(write(ccxtBinance('      - name: main')), [/accounts\.0\.credentials/, /needs credentials/]);
    refuses(write('venues:\n  kraken:\n    kind: sim\n'), [/venues\.kraken/]);
    refuses(write('venues:\n  binance:\n    kind: sim\n    url: http://x\n'), [/venues\.binance/, /url/]);
  });

  test('a paper venue: its recordings (relative to the file), speed and starting balances', () => {
    writeFileSync(join(dir, 'capture.gz'), '');
    const config = loadVenuesConfig(
      write(
        'venues:\n  binance:\n    kind: paper\n    replay: [{ market: spot, symbol: BTC-USDT, file: capture.gz }]\n    speed: 10\n',
      ),
      {},
    );
    const setup = config.venues[0];
    assert.equal(setup?.kind, 'paper');
    if (setup?.kind !== 'paper') return;
    assert.deepEqual(setup.replay, [{ market: 'spot', symbol: 'BTC-USDT', file: join(dir, 'capture.gz') }]);
    assert.deepEqual(
      [setup.speed, setup.balances, setup.accounts.map((account) => account.name)],
      [10, { USDT: '100000' }, ['keel']],
    );
    refuses(
      write('venues:\n  binance:\n    kind: paper\n    replay: [{ symbol: BTC-USDT, file: nowhere.gz }]\n'),
      [/venues\.binance\.replay\.0\.file/, /does not exist/],
    );
    refuses(write('venues:\n  binance:\n    kind: paper\n    replay: []\n'), [
      /venues\.binance\.replay/,
      /list the recordings/,
    ]);
  });

  test('a file that is missing or not YAML', () => {
    refuses(join(dir, 'absent.yaml'), [/KEEL_CONFIG/, /ENOENT/]);
    refuses(write('venues: [unclosed\n'), [/not valid YAML/]);
  });
});

describe('venue settings from the environment (KEEL_VENUE_<VENUE>_<SETTING>)', () => {
  const binanceFile = () =>
    write(
      ccxtBinance(`      - name: main
        credentials: { env: { apiKey: BN_KEY, secret: BN_SECRET } }`),
    );

  test("a variable overrides the file's setting, and the rest of the file stands", () => {
    const config = loadVenuesConfig(binanceFile(), {
      ...env,
      KEEL_VENUE_BINANCE_SANDBOX: 'false',
      KEEL_VENUE_BINANCE_FRONT_URL: 'http://127.0.0.1:7701',
      KEEL_VENUE_BINANCE_MARKETS: 'spot',
    });
    const [setup] = config.venues;
    assert.equal(setup?.kind, 'ccxt');
    if (setup?.kind !== 'ccxt') return;
    assert.deepEqual(
      [setup.sandbox, setup.frontUrl, setup.markets, setup.accounts.map((account) => account.name)],
      [false, 'http://127.0.0.1:7701', ['spot'], ['main']],
    );
  });

  test('without a file, variables change the built-in simulator venues', () => {
    const config = loadVenuesConfig(undefined, {
      KEEL_VENUE_BYBIT_KIND: 'sim-http',
      KEEL_VENUE_BYBIT_URL: 'http://127.0.0.1:7700',
    });
    assert.deepEqual(
      config.venues.map((setup) => [setup.venue, setup.kind]),
      SIMULATED_VENUES.map((venue) => [venue, venue === 'bybit' ? 'sim-http' : 'sim']),
    );
    assert.match(config.source, /KEEL_VENUE_\* overrides/);
  });

  test('a variable naming no venue or setting, or holding a bad value, stops start-up naming it', () => {
    refuses(binanceFile(), [/KEEL_VENUE_KRAKEN_KIND/, /names no venue/], {
      ...env,
      KEEL_VENUE_KRAKEN_KIND: 'sim',
    });
    refuses(binanceFile(), [/KEEL_VENUE_BINANCE_COLOUR/, /no such setting/, /SANDBOX/], {
      ...env,
      KEEL_VENUE_BINANCE_COLOUR: 'red',
    });
    refuses(binanceFile(), [/KEEL_VENUE_BINANCE_SANDBOX/, /true or false/], {
      ...env,
      KEEL_VENUE_BINANCE_SANDBOX: 'yes',
    });
    refuses(
      binanceFile(),
      [/KEEL_VENUE_BINANCE_KIND \(venues\.binance\.kind\)/, /sim, sim-http, ccxt, paper/],
      {
        ...env,
        KEEL_VENUE_BINANCE_KIND: 'ftx',
      },
    );
    refuses(binanceFile(), [/KEEL_VENUE_BINANCE_FRONT_URL \(venues\.binance\.frontUrl\)/, /http/], {
      ...env,
      KEEL_VENUE_BINANCE_FRONT_URL: 'not a url',
    });
    refuses(binanceFile(), [/KEEL_VENUE_OKX_SANDBOX/], { ...env, KEEL_VENUE_OKX_SANDBOX: 'true' });
  });
});

describe("a venue's rate limit (its order queue's, fleet-wide)", () => {
  const simHttp = (extra = '') => `
venues:
  binance:
    kind: sim-http
    url: http://127.0.0.1:7700
${extra}  okx:
    kind: sim
`;

  test("by default the venue's published order limit; the file or a variable sets another", () => {
    const defaults = loadVenuesConfig(undefined);
    assert.deepEqual(
      defaults.venues.map((setup) => [setup.venue, setup.rateLimit]),
      SIMULATED_VENUES.map((venue) => [venue, PUBLISHED_ORDER_RATES[venue]]),
    );
    const path = write(simHttp('    rateLimit: 2.5\n'));
    const rates = (environment: NodeJS.ProcessEnv) =>
      Object.fromEntries(
        loadVenuesConfig(path, environment).venues.map((setup) => [setup.venue, setup.rateLimit]),
      );
    assert.deepEqual(rates({}), { binance: 2.5, okx: PUBLISHED_ORDER_RATES.okx });
    assert.deepEqual(rates({ KEEL_VENUE_BINANCE_RATE_LIMIT: '4', KEEL_VENUE_OKX_RATE_LIMIT: '0.5' }), {
      binance: 4,
      okx: 0.5,
    });
    assert.equal(
      describeVenues(loadVenuesConfig(path, {})).length,
      2,
      'the description lists both venues (their queues come from the workflow queue)',
    );
  });

  test('a rate limit that is not a positive number stops start-up with one line naming the setting', () => {
    refuses(write(simHttp('    rateLimit: 0\n')), [/venues\.binance\.rateLimit/, /positive number/], {});
    refuses(write(simHttp('    rateLimit: fast\n')), [/venues\.binance\.rateLimit/, /positive number/], {});
    refuses(write(simHttp()), [/KEEL_VENUE_BINANCE_RATE_LIMIT/, /must be a number/], {
      KEEL_VENUE_BINANCE_RATE_LIMIT: 'fast',
    });
    refuses(write(simHttp()), [/KEEL_VENUE_OKX_RATE_LIMIT \(venues\.okx\.rateLimit\)/, /positive number/], {
      KEEL_VENUE_OKX_RATE_LIMIT: '-3',
    });
  });
});

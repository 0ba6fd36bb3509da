import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { alertSettingsFromEnv } from '../../../activities/alerts';
import { KeelConfigSchema, loadConfig } from '../../../config/keel-config';
import { loadVenuesConfig, type VenuesConfig } from '../../../config/venues';

/**
 * The deployment files (deploy/compose, deploy/k8s, the Dockerfile) against Keel itself: every variable a
 * Keel process is given is a setting Keel reads and parses with Keel's own parsers, every command is one
 * of Keel's entry points with options it accepts, every port is the one its setting configures, the venue
 * file is one a fleet can share and points at the simulator the deployment runs, and every Service,
 * target and reference names something the same deployment defines. No Docker, no cluster: parsing only.
 */

const root = resolve(import.meta.dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const composeDir = join(root, 'deploy', 'compose');
const k8sDir = join(root, 'deploy', 'k8s');

// ---------------------------------------------------------------------------------------------------------
// Loose access to parsed YAML.

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const obj = (value: unknown, what: string): Obj => {
  assert.ok(isObj(value), `${what}: expected a mapping`);
  return value;
};
const optObj = (value: unknown, what: string): Obj => (value === undefined ? {} : obj(value, what));
const list = (value: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(value), `${what}: expected a list`);
  return value as unknown[];
};
const optList = (value: unknown, what: string): unknown[] => (value === undefined ? [] : list(value, what));
const str = (value: unknown, what: string): string => {
  assert.equal(typeof value, 'string', `${what}: expected a string, got ${JSON.stringify(value)}`);
  return value as string;
};
const scalar = (value: unknown, what: string): string => {
  assert.ok(
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean',
    `${what}: expected a scalar, got ${JSON.stringify(value)}`,
  );
  return String(value);
};
const strings = (value: unknown, what: string): string[] =>
  list(value, what).map((item, index) => str(item, `${what}[${index}]`));
/** Computed at the first test that needs it, so that a failure fails that test, not the suite. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

// ---------------------------------------------------------------------------------------------------------
// What Keel has, read from Keel.

/** The alert settings: activities/alerts.ts keeps their names in a private `envNames` table. */
function alertSettingNames(): string[] {
  const table = /const envNames = \{([\s\S]*?)\} as const/.exec(read('activities/alerts.ts'))?.[1];
  assert.ok(
    table,
    'activities/alerts.ts: the envNames table was not found (export it to replace this regex)',
  );
  const names = [...table.matchAll(/'(KEEL_[A-Z0-9_]+)'/g)].map((match) => match[1]!);
  assert.ok(names.length >= 5, `activities/alerts.ts: only ${names.length} alert settings found`);
  return names;
}

/** `npm run keel -- <role>`: the roles workers/keel.ts accepts. */
function keelRoles(): string[] {
  const roles = /const ROLES = \[([^\]]*)\] as const/.exec(read('workers/keel.ts'))?.[1];
  assert.ok(roles, 'workers/keel.ts: ROLES not found');
  return [...roles.matchAll(/'([a-z-]+)'/g)].map((match) => match[1]!);
}

/** How long a stopping worker lets its activities finish (workers/keel.ts SHUTDOWN_GRACE), in seconds. */
function shutdownGraceSeconds(): number {
  const grace = /const SHUTDOWN_GRACE = '(\d+) seconds'/.exec(read('workers/keel.ts'))?.[1];
  assert.ok(grace, "workers/keel.ts: SHUTDOWN_GRACE = '<n> seconds' not found");
  return Number(grace);
}

/** The options sim/main.ts gives parseArgs (the module runs the simulator when imported: read, not import). */
function simOptions(): NonNullable<ParseArgsConfig['options']> {
  const block = /parseArgs\(\{\s*options: \{([\s\S]*?)\n {2}\},\n\}\);/.exec(read('sim/main.ts'))?.[1];
  assert.ok(block, 'sim/main.ts: the parseArgs options were not found');
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const match of block.matchAll(
    /^\s*'?([a-z][\w-]*)'?: \{ type: '(string|boolean)'(, multiple: true)?/gm,
  ))
    options[match[1]!] = { type: match[2] as 'string' | 'boolean', multiple: match[3] !== undefined };
  assert.ok(Object.keys(options).length >= 10, 'sim/main.ts: too few options found');
  return options;
}

/** GET routes of the API that need no token (`config: { access: 'public' }`). */
function publicApiRoutes(): string[] {
  const dir = join(root, 'api', 'routes');
  return readdirSync(dir).flatMap((file) =>
    [
      ...readFileSync(join(dir, file), 'utf8').matchAll(
        /app\.get\(\s*'([^']+)',\s*\{\s*config: \{ access: 'public' \}/g,
      ),
    ].map((match) => match[1]!),
  );
}

const ROLES = keelRoles();
const GRACE_SECONDS = shutdownGraceSeconds();
const SIM_OPTIONS = simOptions();
const PUBLIC_ROUTES = publicApiRoutes();
/** Every variable Keel reads from its environment (venue credentials aside: the venue file names those). */
const KEEL_SETTINGS = new Set([...Object.keys(KeelConfigSchema.shape), ...alertSettingNames()]);
/** Settings that are secrets: a deployment takes them from its secrets, never from plain text. */
const SECRET_SETTINGS = new Set([
  'DATABASE_URL',
  'KEEL_API_TOKEN',
  'KEEL_API_READ_TOKEN',
  'KEEL_KILL_SWITCH_TOKEN',
  'KEEL_CODEC_KEYS',
  'KEEL_SLACK_WEBHOOK_URL',
  'KEEL_TELEGRAM_BOT_TOKEN',
]);
/** The venue kinds every process of a fleet can reach; workers/keel.ts refuses sim and paper. */
const FLEET_VENUE_KINDS = new Set(['sim-http', 'ccxt']);

test('what Keel has is found in its sources', () => {
  assert.deepEqual(ROLES, ['worker', 'api']);
  assert.ok(KEEL_SETTINGS.has('KEEL_API_PORT') && KEEL_SETTINGS.has('KEEL_SLACK_WEBHOOK_URL'));
  for (const setting of SECRET_SETTINGS) assert.ok(KEEL_SETTINGS.has(setting), setting);
  assert.ok(SIM_OPTIONS.port && SIM_OPTIONS.host && SIM_OPTIONS['binance-port']);
  assert.ok(PUBLIC_ROUTES.includes('/health'));
  assert.equal(GRACE_SECONDS, 10);
});

// ---------------------------------------------------------------------------------------------------------
// Keel's processes: what runs, what it reads, what it listens on.

/** The Dockerfile's run-time entry point (the last stage's ENTRYPOINT, exec form). */
function dockerEntrypoint(): string[] {
  const lines = read('Dockerfile').split('\n');
  const entrypoints = lines.filter((line) => line.startsWith('ENTRYPOINT '));
  assert.equal(entrypoints.length, 1, 'Dockerfile: one ENTRYPOINT');
  const entrypoint = JSON.parse(entrypoints[0]!.slice('ENTRYPOINT '.length)) as unknown;
  return strings(entrypoint, 'Dockerfile ENTRYPOINT');
}

type Process =
  | { kind: 'keel'; role: string }
  | { kind: 'sim'; port: number; host: string; binancePort: number | undefined };

/** What a container runs: `node --import tsx workers/keel.ts <role>` or `... sim/main.ts <options>`. */
function processOf(argv: string[], where: string): Process {
  assert.deepEqual(argv.slice(0, 3), ['node', '--import', 'tsx'], `${where}: runs node with tsx`);
  const [entry, ...args] = argv.slice(3);
  if (entry === 'workers/keel.ts') {
    assert.equal(args.length, 1, `${where}: workers/keel.ts takes one role`);
    assert.ok(
      ROLES.includes(args[0]!),
      `${where}: '${args[0]}' is not a role of workers/keel.ts (${ROLES.join(', ')})`,
    );
    return { kind: 'keel', role: args[0]! };
  }
  assert.equal(entry, 'sim/main.ts', `${where}: '${entry}' is not one of Keel's entry points`);
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args, options: SIM_OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    assert.fail(`${where}: sim/main.ts does not accept ${args.join(' ')}: ${String(error)}`);
  }
  const port = Number(values.port ?? '7700');
  const binancePort = values['binance-port'] === undefined ? undefined : Number(values['binance-port']);
  assert.ok(Number.isInteger(port) && port > 0, `${where}: --port`);
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
  return { kind: 'sim', port, host, binancePort };
}

const listensEverywhere = (host: string) => host === '0.0.0.0' || host === '::';

interface KeelContainer {
  where: string;
  process: Process;
  /** The environment as the process sees it, secrets replaced by their placeholders. */
  env: Record<string, string>;
  /** Where each variable comes from. */
  sources: Record<string, 'literal' | 'secret' | 'config'>;
  /** The ports the container listens on (published, exposed or declared). */
  ports: number[];
}

interface Listening {
  /** The ports its settings make it listen on, and what each is. */
  ports: Map<number, string>;
  config?: ReturnType<typeof loadConfig>;
}

/**
 * The variables, parsed as Keel parses them at start: names it reads, values it accepts, secrets from
 * secrets, and the ports they make the process listen on.
 */
function checkKeelContainer(container: KeelContainer, extraNames: ReadonlySet<string>): Listening {
  const { where, env } = container;
  for (const name of Object.keys(env)) {
    const known = KEEL_SETTINGS.has(name) || extraNames.has(name) || name.startsWith('KEEL_VENUE_');
    assert.ok(known, `${where}: ${name} is not a setting Keel reads`);
    if (SECRET_SETTINGS.has(name) || extraNames.has(name))
      assert.equal(container.sources[name], 'secret', `${where}: ${name} is a secret but not taken from one`);
  }
  if (container.process.kind === 'sim') {
    const { port, host, binancePort } = container.process;
    assert.ok(listensEverywhere(host), `${where}: the simulator must listen on 0.0.0.0 (--host)`);
    return {
      ports: new Map([[port, '--port'], ...(binancePort ? [[binancePort, '--binance-port'] as const] : [])]),
    };
  }
  const config = loadConfig(env);
  alertSettingsFromEnv(env);
  assert.ok(config.TEMPORAL_ADDRESS, `${where}: TEMPORAL_ADDRESS is required of a fleet process`);
  assert.ok(config.DATABASE_URL, `${where}: DATABASE_URL is required of a fleet process`);
  assert.ok(config.KEEL_CONFIG, `${where}: KEEL_CONFIG is required (the in-process simulator is refused)`);
  const ports = new Map<number, string>();
  if (config.KEEL_SDK_METRICS_ADDRESS !== 'off') {
    const [host, port] = config.KEEL_SDK_METRICS_ADDRESS.split(':');
    assert.ok(
      listensEverywhere(host!),
      `${where}: KEEL_SDK_METRICS_ADDRESS must bind 0.0.0.0 in a container`,
    );
    ports.set(Number(port), 'KEEL_SDK_METRICS_ADDRESS');
  }
  if (container.process.role === 'api') {
    assert.ok(
      listensEverywhere(config.KEEL_API_HOST),
      `${where}: KEEL_API_HOST must be 0.0.0.0 in a container`,
    );
    ports.set(config.KEEL_API_PORT, 'KEEL_API_PORT');
  }
  return { ports, config };
}

/** Every port a container opens is the one a setting configures, and every configured one is open. */
function checkPorts(container: KeelContainer, listening: Listening) {
  const open = [...new Set(container.ports)].sort();
  const configured = [...listening.ports.keys()].sort();
  assert.deepEqual(
    open,
    configured,
    `${container.where}: ports ${open.join(', ')} but its settings listen on ${configured.join(', ')}`,
  );
}

/** The venue file: Keel's own parser, fleet-shareable kinds only, sim-http URLs at the simulator. */
function checkVenues(
  file: string,
  env: Record<string, string>,
  where: string,
  simulatorAt: (url: URL, venue: string) => void,
  frontAt: (url: URL, venue: string) => void,
): VenuesConfig {
  const venues = loadVenuesConfig(file, env);
  for (const setup of venues.venues) {
    assert.ok(
      FLEET_VENUE_KINDS.has(setup.kind),
      `${where}: venue ${setup.venue} is ${setup.kind}; a fleet can share only ${[...FLEET_VENUE_KINDS].join(', ')}`,
    );
    if (setup.kind === 'sim-http') simulatorAt(new URL(setup.url), setup.venue);
    if (setup.kind === 'ccxt' && setup.frontUrl) frontAt(new URL(setup.frontUrl), setup.venue);
  }
  return venues;
}

/** The variables the venue file names for credentials: Keel reads them too, and they are secrets. */
function credentialVariables(file: string): Set<string> {
  const raw = obj(parse(readFileSync(file, 'utf8')), file);
  const names = new Set<string>();
  for (const venue of Object.values(optObj(raw.venues, `${file} venues`)))
    for (const account of optList(obj(venue, file).accounts, file)) {
      const credentials = obj(account, file).credentials;
      if (isObj(credentials) && isObj(credentials.env))
        for (const name of Object.values(credentials.env)) names.add(str(name, file));
    }
  return names;
}

const portOf = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

function scrapeTargets(prometheusYaml: unknown, where: string) {
  const config = obj(prometheusYaml, where);
  return list(config.scrape_configs, `${where} scrape_configs`).map((job, index) => {
    const scrape = obj(job, `${where} scrape_configs[${index}]`);
    const name = str(scrape.job_name, `${where} job_name`);
    const authorization = optObj(scrape.authorization, `${where} ${name} authorization`);
    const statics = optList(scrape.static_configs, name).flatMap((group) =>
      strings(obj(group, name).targets, `${where} ${name} targets`).map((target) => {
        const [host, port] = target.split(':');
        return { host: host!, port: Number(port), dns: false };
      }),
    );
    const dns = optList(scrape.dns_sd_configs, name).flatMap((sd) => {
      const config = obj(sd, name);
      assert.equal(config.type ?? 'SRV', 'A', `${where} ${name}: dns_sd_configs of type A (with a port)`);
      return strings(config.names, `${where} ${name} names`).map((host) => ({
        host,
        port: Number(config.port),
        dns: true,
      }));
    });
    return {
      name,
      path: (scrape.metrics_path as string | undefined) ?? '/metrics',
      credentialsFile: authorization.credentials_file as string | undefined,
      targets: [...statics, ...dns],
    };
  });
}

// ---------------------------------------------------------------------------------------------------------
// The Dockerfile and .dockerignore.

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  test("runs Keel's entry points directly under tsx, from node:20, as a user other than root", () => {
    assert.deepEqual(dockerEntrypoint(), ['node', '--import', 'tsx']);
    const stages = dockerfile.split('\n').filter((line) => line.startsWith('FROM '));
    assert.ok(stages.length > 0);
    for (const stage of stages) assert.match(stage, /^FROM node:20-bookworm-slim\b/);
    assert.match(dockerfile, /^RUN npm ci\b/m, 'dependencies exactly as locked');
    assert.match(dockerfile, /^USER node$/m);
    const cmd = /^CMD (.*)$/m.exec(dockerfile)?.[1];
    processOf([...dockerEntrypoint(), ...strings(JSON.parse(cmd ?? '[]'), 'CMD')], 'Dockerfile CMD');
  });

  test('.dockerignore keeps dependencies, history, local state and secrets out, and the code in', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const required of ['.git', 'node_modules', '.keel-data', '.env'])
      assert.ok(patterns.includes(required), `.dockerignore: ${required}`);
    for (const needed of [
      'workers',
      'sim',
      'config',
      'migrations',
      'web',
      'package.json',
      'package-lock.json',
    ])
      assert.ok(
        !patterns.some((pattern) => pattern === needed || pattern.startsWith(`${needed}/`)),
        `.dockerignore leaves out ${needed}, which Keel needs at run time`,
      );
  });
});

// ---------------------------------------------------------------------------------------------------------
// deploy/compose.

interface ComposePort {
  container: number;
  published: string | undefined;
}

function composePorts(service: Obj, where: string): ComposePort[] {
  const published = optList(service.ports, `${where} ports`).map((entry): ComposePort => {
    if (isObj(entry))
      return { container: Number(entry.target), published: entry.published as string | undefined };
    const parts = scalar(entry, `${where} ports`).split('/')[0]!.split(':');
    assert.ok(!parts.some((part) => part.includes('-')), `${where}: port ranges are not checked`);
    const host = parts.length > 1 ? parts.slice(0, -1).join(':') : undefined;
    return { container: Number(parts.at(-1)), published: host };
  });
  const exposed = optList(service.expose, `${where} expose`).map((entry) => ({
    container: Number(scalar(entry, `${where} expose`).split('/')[0]),
    published: undefined,
  }));
  return [...published, ...exposed];
}

function composeEnvironment(service: Obj, where: string): Record<string, string> {
  const environment = service.environment;
  if (Array.isArray(environment))
    return Object.fromEntries(
      strings(environment, `${where} environment`).map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  return Object.fromEntries(
    Object.entries(optObj(environment, `${where} environment`)).map(([name, value]) => [
      name,
      value === null ? '' : scalar(value, `${where} ${name}`),
    ]),
  );
}

/** KEY=value lines of an env file (comments and blank lines aside). */
function envFileEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    assert.ok(match, `not a KEY=value line: ${trimmed}`);
    entries.set(match[1]!, match[2]!);
  }
  return entries;
}

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** Compose's interpolation, with each `.env` variable holding a placeholder (required ones) or nothing. */
function interpolate(value: string, variables: ReadonlySet<string>): string {
  return value
    .replaceAll('$$', '\u0000')
    .replace(INTERPOLATION, (_match, name: string, operator: string | undefined, argument: string) => {
      assert.ok(variables.has(name), `compose.yaml: \${${name}} is not in keel.env.example`);
      if (operator?.endsWith('?')) return `placeholder-${name.toLowerCase().replaceAll('_', '-')}`;
      return operator?.endsWith('-') ? argument : '';
    })
    .replaceAll('\u0000', '$');
}

describe('deploy/compose', () => {
  const composeText = readFileSync(join(composeDir, 'compose.yaml'), 'utf8');
  const compose = obj(parse(composeText, { merge: true }), 'compose.yaml');
  const services = obj(compose.services, 'compose.yaml services');
  const service = (name: string) => obj(services[name], `compose.yaml: service ${name}`);
  const secretsFile = envFileEntries(readFileSync(join(composeDir, 'keel.env.example'), 'utf8'));
  const variables = new Set(secretsFile.keys());
  const entrypoint = dockerEntrypoint();

  /** Keel's services: those built from this repository's Dockerfile. */
  const keelServices = Object.keys(services).filter((name) => {
    const build = service(name).build;
    const context = isObj(build) ? build.context : build;
    return typeof context === 'string' && resolve(composeDir, context) === root;
  });

  const containers = once(
    () =>
      new Map(
        keelServices.map((name) => {
          const definition = service(name);
          const where = `compose.yaml ${name}`;
          const raw = composeEnvironment(definition, where);
          assert.equal(definition.env_file, undefined, `${where}: secrets come from .env by interpolation`);
          const env = Object.fromEntries(
            Object.entries(raw).map(([key, value]) => [key, interpolate(value, variables)]),
          );
          const sources = Object.fromEntries(
            Object.entries(raw).map(
              ([key, value]) => [key, value.includes('${') ? 'secret' : 'literal'] as const,
            ),
          );
          const process = processOf(
            [...entrypoint, ...strings(definition.command, `${where} command`)],
            where,
          );
          const ports = composePorts(definition, where).map((port) => port.container);
          const container: KeelContainer & { raw: Record<string, string> } = {
            where,
            process,
            env,
            sources,
            ports,
            raw,
          };
          return [name, container] as const;
        }),
      ),
  );
  const simulators = () => [...containers()].filter(([, container]) => container.process.kind === 'sim');
  /** The simulator service: its name and the ports it listens on. */
  const simulator = () => {
    assert.equal(simulators().length, 1, 'compose.yaml: one simulator');
    const [name, container] = simulators()[0]!;
    assert.ok(container.process.kind === 'sim');
    return { name, ...container.process };
  };

  test('runs every part: Temporal on PostgreSQL with its UI, the ledger, the simulator, API, workers, Prometheus', () => {
    const images: Record<string, RegExp> = {
      'temporal-postgresql': /^postgres:/,
      temporal: /^temporalio\/(server|auto-setup):/,
      'temporal-ui': /^temporalio\/ui:/,
      'keel-postgresql': /^postgres:/,
      prometheus: /^prom\/prometheus:/,
    };
    for (const [name, image] of Object.entries(images))
      assert.match(str(service(name).image, name), image, `compose.yaml: ${name}`);
    assert.deepEqual(keelServices.sort(), ['keel-api', 'keel-worker', 'simulator']);
    const roles = (role: string) =>
      [...containers().values()].filter(({ process }) => process.kind === 'keel' && process.role === role);
    assert.equal(roles('api').length, 1);
    assert.ok(roles('worker').length >= 1);
    assert.equal(simulators().length, 1);
    const workerReplicas = optObj(service('keel-worker').deploy, 'keel-worker deploy').replicas;
    assert.equal(workerReplicas, 3);

    const temporal = composeEnvironment(service('temporal'), 'temporal');
    assert.equal(temporal.DB, 'postgres12', 'Temporal persists to PostgreSQL');
    const seeds = str(temporal.POSTGRES_SEEDS, 'temporal POSTGRES_SEEDS');
    assert.match(str(service(seeds).image, seeds), /^postgres:/);
  });

  test('every variable of a Keel service is a setting Keel reads, and parses as Keel parses it', () => {
    for (const container of containers().values()) {
      const file = container.env.KEEL_CONFIG;
      const credentials = file ? credentialVariables(mountedFile(container, file)) : new Set<string>();
      checkPorts(container, checkKeelContainer(container, credentials));
    }
  });

  test('secrets come from .env, which keel.env.example lists without values; each is used', () => {
    for (const [name, value] of secretsFile)
      assert.equal(value, '', `keel.env.example: ${name} must hold no value (fill it in .env)`);
    const used = new Set([...composeText.matchAll(INTERPOLATION)].map((match) => match[1]!));
    for (const name of used)
      assert.ok(variables.has(name), `compose.yaml: \${${name}} is not in keel.env.example`);
    for (const name of variables) assert.ok(used.has(name), `keel.env.example: ${name} is used nowhere`);
    for (const [name, definition] of Object.entries(services))
      for (const [key, value] of Object.entries(composeEnvironment(obj(definition, name), name)))
        if (/PASSWORD|PWD|TOKEN|SECRET/.test(key) || SECRET_SETTINGS.has(key))
          assert.match(value, /\$\{/, `compose.yaml ${name}: ${key} is written in the file`);
  });

  /** The host file mounted where a container's path points (the venue file). */
  function mountedFile(container: KeelContainer, path: string): string {
    const name = container.where.split(' ')[1]!;
    for (const volume of optList(service(name).volumes, `${name} volumes`)) {
      const [source, target] = scalar(volume, name).split(':');
      if (target === path) {
        const file = resolve(composeDir, source!);
        assert.ok(existsSync(file), `${container.where}: ${source} does not exist`);
        return file;
      }
    }
    return assert.fail(`${container.where}: nothing is mounted at ${path}`);
  }

  test('the venue file parses as Keel parses it and names the simulator this file runs', () => {
    for (const container of containers().values()) {
      if (container.process.kind !== 'keel') continue;
      const { name: simulatorName, port, binancePort } = simulator();
      const venues = checkVenues(
        mountedFile(container, container.env.KEEL_CONFIG!),
        container.env,
        container.where,
        (url, venue) => {
          assert.equal(url.hostname, simulatorName, `${container.where} venue ${venue}: not the simulator`);
          assert.equal(portOf(url), port, `${container.where} venue ${venue}: not the simulator's --port`);
        },
        (url, venue) => {
          assert.equal(url.hostname, simulatorName, `${container.where} venue ${venue}: not the simulator`);
          assert.equal(portOf(url), binancePort, `${container.where} venue ${venue}: not its --binance-port`);
        },
      );
      assert.ok(venues.venues.length > 0);
    }
  });

  test('Temporal and the ledger are services of this file, on the ports they serve', () => {
    for (const container of containers().values()) {
      if (container.process.kind !== 'keel') continue;
      const [host, port] = container.env.TEMPORAL_ADDRESS!.split(':');
      assert.match(str(service(host!).image, host!), /^temporalio\/(server|auto-setup):/);
      assert.ok(
        composePorts(service(host!), host!).some((open) => open.container === Number(port)),
        `${container.where}: TEMPORAL_ADDRESS port ${port} is not open on ${host}`,
      );
      const url = new URL(container.env.DATABASE_URL!);
      const database = composeEnvironment(service(url.hostname), url.hostname);
      assert.match(str(service(url.hostname).image, url.hostname), /^postgres:/);
      assert.equal(portOf(url), 5432);
      assert.equal(url.username, database.POSTGRES_USER, `${container.where}: DATABASE_URL's user`);
      assert.equal(url.pathname.slice(1), database.POSTGRES_DB ?? database.POSTGRES_USER);
      const password = /\$\{(\w+)/.exec(container.raw.DATABASE_URL!);
      assert.equal(
        password?.[1],
        /\$\{(\w+)/.exec(database.POSTGRES_PASSWORD!)?.[1],
        `${container.where}: DATABASE_URL's password is ${url.hostname}'s POSTGRES_PASSWORD`,
      );
    }
  });

  test("health checks ask the ports the settings open, the API's on a public route", () => {
    for (const [name, container] of containers()) {
      const check = strings(
        obj(service(name).healthcheck, `${name} healthcheck`).test,
        `${name} healthcheck`,
      );
      const url = /http:\/\/127\.0\.0\.1:(\d+)(\/[^'"]*)/.exec(check.join(' '));
      assert.ok(url, `${name}: the health check asks an http://127.0.0.1 URL`);
      assert.ok(container.ports.includes(Number(url[1])), `${name}: health check port ${url[1]}`);
      if (container.process.kind === 'keel' && container.process.role === 'api')
        assert.ok(PUBLIC_ROUTES.includes(url[2]!), `${name}: ${url[2]} needs a token`);
    }
  });

  test("a stopping worker has longer than its activities' grace", () => {
    for (const [name, container] of containers()) {
      if (container.process.kind !== 'keel') continue;
      const period = str(service(name).stop_grace_period, `${name} stop_grace_period`);
      const seconds = Number(/^(\d+)s$/.exec(period)?.[1]);
      assert.ok(
        seconds >= GRACE_SECONDS + 5,
        `${name}: stop_grace_period ${period} ≤ ${GRACE_SECONDS} s + margin`,
      );
      assert.equal(service(name).stop_signal ?? 'SIGTERM', 'SIGTERM');
    }
  });

  test('services start after what they need is healthy or done', () => {
    for (const [name, definition] of Object.entries(services)) {
      const dependsOn = optObj(obj(definition, name).depends_on, `${name} depends_on`);
      for (const [dependency, how] of Object.entries(dependsOn)) {
        const condition = str(obj(how, `${name} -> ${dependency}`).condition, `${name} -> ${dependency}`);
        if (condition === 'service_healthy')
          assert.ok(
            service(dependency).healthcheck,
            `${name} waits for ${dependency}, which has no healthcheck`,
          );
        else assert.equal(condition, 'service_completed_successfully', `${name} -> ${dependency}`);
      }
    }
    const waitsFor = (name: string) => Object.keys(optObj(service(name).depends_on, name));
    for (const [name, container] of containers())
      if (container.process.kind === 'keel') {
        const needs =
          container.process.role === 'api' ? ['temporal-namespace', 'keel-postgresql'] : ['keel-api'];
        for (const need of needs) assert.ok(waitsFor(name).includes(need), `${name} waits for ${need}`);
      }
  });

  test("Prometheus scrapes Keel's metrics and the SDK's, at services and ports of this file", () => {
    const prometheus = service('prometheus');
    const mounts = optList(prometheus.volumes, 'prometheus volumes').map((volume) =>
      scalar(volume, 'prometheus'),
    );
    const config = mounts.find((mount) => mount.split(':')[1] === '/etc/prometheus/prometheus.yml');
    assert.ok(config, 'prometheus: prometheus.yml is mounted');
    const jobs = scrapeTargets(
      parse(readFileSync(resolve(composeDir, config.split(':')[0]!), 'utf8')),
      'prometheus.yml',
    );
    const scraped = new Set<string>();
    for (const job of jobs)
      for (const target of job.targets) {
        const open = composePorts(service(target.host), target.host).map((port) => port.container);
        assert.ok(
          open.includes(target.port),
          `prometheus.yml ${job.name}: ${target.host}:${target.port} is not open`,
        );
        scraped.add(`${target.host}:${target.port}`);
        const container = containers().get(target.host);
        if (container?.process.kind === 'keel' && container.env.KEEL_API_PORT === String(target.port)) {
          assert.equal(job.path, '/metrics');
          const secret = /^\/run\/secrets\/(.+)$/.exec(job.credentialsFile ?? '')?.[1];
          assert.ok(secret, `prometheus.yml ${job.name}: the API's /metrics needs the read token`);
          assert.ok(strings(prometheus.secrets, 'prometheus secrets').includes(secret));
          const source = obj(obj(compose.secrets, 'secrets')[secret], secret).environment;
          assert.ok(source === 'KEEL_API_READ_TOKEN' || source === 'KEEL_API_TOKEN', `secret ${secret}`);
        }
      }
    for (const [name, container] of containers()) {
      if (container.process.kind !== 'keel') continue;
      const listening = checkKeelContainer(container, new Set());
      for (const [port, setting] of listening.ports)
        assert.ok(
          scraped.has(`${name}:${port}`),
          `prometheus.yml scrapes nothing at ${name}:${port} (${setting})`,
        );
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// deploy/k8s.

interface Resource {
  file: string;
  kind: string;
  name: string;
  namespace: string | undefined;
  body: Obj;
}

function k8sResources(): Resource[] {
  return readdirSync(k8sDir)
    .filter(
      (file) => /\.ya?ml$/.test(file) && file !== 'kustomization.yaml' && file !== 'temporal-values.yaml',
    )
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((document, index) => {
        assert.deepEqual(document.errors, [], `${file} document ${index}`);
        const body = obj(document.toJS(), `${file} document ${index}`);
        const metadata = obj(body.metadata, `${file} document ${index} metadata`);
        str(body.apiVersion, `${file} document ${index} apiVersion`);
        return {
          file,
          kind: str(body.kind, `${file} document ${index} kind`),
          name: str(metadata.name, `${file} document ${index} name`),
          namespace: metadata.namespace as string | undefined,
          body,
        };
      }),
    );
}

describe('deploy/k8s', () => {
  const resources = k8sResources();
  const find = (kind: string, name: string, namespace: string | undefined) => {
    const found = resources.find((r) => r.kind === kind && r.name === name && r.namespace === namespace);
    return found ?? assert.fail(`no ${kind} ${name} in namespace ${namespace}`);
  };
  const namespaces = new Set(resources.filter((r) => r.kind === 'Namespace').map((r) => r.name));
  const workloads = resources.filter((r) => r.kind === 'Deployment' || r.kind === 'StatefulSet');
  const podSpec = (workload: Resource) =>
    obj(obj(obj(workload.body.spec, 'spec').template, 'template').spec, `${workload.name} pod spec`);
  const podLabels = (workload: Resource) =>
    optObj(
      obj(obj(obj(workload.body.spec, 'spec').template, 'template').metadata, 'metadata').labels,
      'labels',
    );
  const containersOf = (workload: Resource) =>
    list(podSpec(workload).containers, `${workload.name} containers`).map((c) => obj(c, workload.name));
  const containerPorts = (container: Obj) =>
    optList(container.ports, 'ports').map((port) => {
      const entry = obj(port, 'port');
      return { name: entry.name as string | undefined, port: Number(entry.containerPort) };
    });
  /** A port given by number or by the name of a containerPort. */
  const resolvePort = (container: Obj, port: unknown) =>
    typeof port === 'number' ? port : containerPorts(container).find((entry) => entry.name === port)?.port;
  const data = (resource: Resource): Obj =>
    resource.kind === 'Secret'
      ? optObj(resource.body.stringData, `${resource.name} stringData`)
      : optObj(resource.body.data, `${resource.name} data`);
  const values = parse(readFileSync(join(k8sDir, 'temporal-values.yaml'), 'utf8')) as unknown;
  const entrypoint = dockerEntrypoint();

  const keelWorkloads = workloads.filter((workload) =>
    containersOf(workload).some((container) => /(^|\/)keel(:|$)/.test(str(container.image, workload.name))),
  );

  const keelContainers = once(() =>
    keelWorkloads.map((workload) => {
      const [container, ...more] = containersOf(workload);
      assert.equal(more.length, 0, `${workload.name}: one container`);
      const where = `${workload.file} ${workload.name}`;
      const env: Record<string, string> = {};
      const sources: KeelContainer['sources'] = {};
      for (const from of optList(container!.envFrom, `${where} envFrom`)) {
        const entry = obj(from, where);
        const ref = (entry.configMapRef ?? entry.secretRef) as Obj | undefined;
        assert.ok(ref, `${where}: envFrom from a ConfigMap or a Secret`);
        const source = find(
          entry.configMapRef ? 'ConfigMap' : 'Secret',
          str(ref.name, where),
          workload.namespace,
        );
        for (const [key, value] of Object.entries(data(source))) {
          env[key] = scalar(value, `${source.name} ${key}`);
          sources[key] = entry.configMapRef ? 'config' : 'secret';
        }
      }
      for (const variable of optList(container!.env, `${where} env`)) {
        const entry = obj(variable, where);
        const name = str(entry.name, where);
        if (entry.value !== undefined) {
          env[name] = scalar(entry.value, `${where} ${name}`);
          sources[name] = 'literal';
          continue;
        }
        const from = obj(entry.valueFrom, `${where} ${name} valueFrom`);
        const ref = (from.configMapKeyRef ?? from.secretKeyRef) as Obj | undefined;
        assert.ok(ref, `${where} ${name}: from a ConfigMap or Secret key`);
        const source = find(
          from.configMapKeyRef ? 'ConfigMap' : 'Secret',
          str(ref.name, where),
          workload.namespace,
        );
        const key = str(ref.key, where);
        assert.ok(key in data(source), `${where} ${name}: ${source.kind} ${source.name} has no key ${key}`);
        env[name] = scalar(data(source)[key], `${source.name} ${key}`);
        sources[name] = from.configMapKeyRef ? 'config' : 'secret';
      }
      const argv = [
        ...(container!.command === undefined ? entrypoint : strings(container!.command, where)),
        ...strings(container!.args ?? [], where),
      ];
      const keel: KeelContainer = {
        where,
        process: processOf(argv, where),
        env,
        sources,
        ports: containerPorts(container!).map((entry) => entry.port),
      };
      return { workload, container: container!, keel };
    }),
  );

  /** The Service a host name means, from a pod in `namespace`: `name`, `name.ns`, `name.ns.svc[.cluster.local]`. */
  const serviceAt = (host: string, namespace: string | undefined) => {
    const [name, ns = namespace, ...rest] = host.split('.');
    assert.ok(rest.length === 0 || rest.join('.').startsWith('svc'), `${host}: not a Service name`);
    return find('Service', name!, ns);
  };
  const selected = (service: Resource) => {
    const selector = obj(obj(service.body.spec, 'spec').selector, `${service.name} selector`);
    return workloads.filter(
      (workload) =>
        workload.namespace === service.namespace &&
        Object.entries(selector).every(([key, value]) => podLabels(workload)[key] === value),
    );
  };
  /** The container port behind a Service port. */
  const servicePort = (service: Resource, port: number) => {
    const entry = list(obj(service.body.spec, 'spec').ports, `${service.name} ports`)
      .map((p) => obj(p, service.name))
      .find((p) => p.port === port);
    assert.ok(entry, `Service ${service.name} has no port ${port}`);
    const targets = selected(service).flatMap((workload) =>
      containersOf(workload).map((container) => resolvePort(container, entry.targetPort ?? port)),
    );
    return { targets, workloads: selected(service) };
  };

  test('every manifest is well formed, in a namespace this deployment creates, and applied by kustomization', () => {
    assert.deepEqual([...namespaces].sort(), ['keel', 'temporal']);
    for (const resource of resources)
      if (resource.kind !== 'Namespace')
        assert.ok(namespaces.has(resource.namespace ?? ''), `${resource.file} ${resource.name}: namespace`);
    const kustomization = obj(
      parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')),
      'kustomization',
    );
    const listed = strings(kustomization.resources, 'kustomization resources').sort();
    const files = [...new Set(resources.map((resource) => resource.file))];
    assert.deepEqual(listed, files.filter((file) => file !== 'secret.example.yaml').sort());
    const images = list(kustomization.images, 'kustomization images').map((image) => obj(image, 'image'));
    assert.ok(images.some((image) => image.name === 'keel'));
  });

  test('runs the API (1), workers (3) and the simulator from the Keel image', () => {
    const byRole = (role: string) =>
      keelContainers().filter(({ keel }) => keel.process.kind === 'keel' && keel.process.role === role);
    const replicas = (workload: Resource) => obj(workload.body.spec, 'spec').replicas;
    assert.deepEqual(
      byRole('api').map(({ workload }) => replicas(workload)),
      [1],
    );
    assert.deepEqual(
      byRole('worker').map(({ workload }) => replicas(workload)),
      [3],
    );
    const simulators = keelContainers().filter(({ keel }) => keel.process.kind === 'sim');
    assert.deepEqual(
      simulators.map(({ workload }) => replicas(workload)),
      [1],
    );
  });

  test('every variable of a Keel container is a setting Keel reads, parses as Keel parses it, secrets from Secrets', () => {
    for (const { keel } of keelContainers()) checkPorts(keel, checkKeelContainer(keel, new Set()));
  });

  test('the Secret template holds placeholders only', () => {
    for (const secret of resources.filter((resource) => resource.kind === 'Secret')) {
      assert.equal(secret.file, 'secret.example.yaml', `${secret.file}: Secrets belong in the template`);
      assert.equal(secret.body.data, undefined, `${secret.name}: stringData placeholders, not data`);
      for (const [key, value] of Object.entries(data(secret)))
        assert.ok(value === '' || /CHANGE_ME/.test(str(value, key)), `${secret.name} ${key} holds a value`);
    }
    for (const configMap of resources.filter((resource) => resource.kind === 'ConfigMap'))
      for (const key of Object.keys(data(configMap)))
        assert.ok(!SECRET_SETTINGS.has(key), `ConfigMap ${configMap.name}: ${key} is a secret`);
  });

  test('the venue file is the ConfigMap mounted at KEEL_CONFIG, and names the simulator Service', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-deploy-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    for (const { workload, container, keel } of keelContainers()) {
      if (keel.process.kind !== 'keel') continue;
      const path = keel.env.KEEL_CONFIG!;
      const mount = optList(container.volumeMounts, 'volumeMounts')
        .map((m) => obj(m, 'volumeMount'))
        .find((m) => m.mountPath === dirname(path));
      assert.ok(mount, `${keel.where}: nothing is mounted at ${dirname(path)}`);
      const volume = list(podSpec(workload).volumes, 'volumes')
        .map((v) => obj(v, 'volume'))
        .find((v) => v.name === mount.name);
      const configMap = find(
        'ConfigMap',
        str(obj(volume?.configMap, 'configMap volume').name, 'configMap'),
        workload.namespace,
      );
      const text = str(data(configMap)[basename(path)], `ConfigMap ${configMap.name} ${basename(path)}`);
      const file = join(dir, `${workload.name}-${basename(path)}`);
      writeFileSync(file, text);
      const at = (url: URL, wanted: 'port' | 'binancePort', venue: string) => {
        const service = serviceAt(url.hostname, workload.namespace);
        const { targets, workloads: behind } = servicePort(service, portOf(url));
        const simulator = keelContainers().find(({ workload: w }) => behind.includes(w))?.keel.process;
        assert.equal(
          simulator?.kind,
          'sim',
          `${keel.where} venue ${venue}: ${url.host} is not the simulator`,
        );
        if (simulator?.kind === 'sim')
          assert.deepEqual(targets, [simulator[wanted]], `${keel.where} venue ${venue}`);
      };
      checkVenues(
        file,
        keel.env,
        keel.where,
        (url, venue) => at(url, 'port', venue),
        (url, venue) => at(url, 'binancePort', venue),
      );
      for (const name of credentialVariables(file))
        assert.equal(
          keel.sources[name],
          'secret',
          `${keel.where}: ${name} (venue credentials) from a Secret`,
        );
    }
  });

  test('every Service selects pods, and every targetPort is a containerPort of them', () => {
    for (const service of resources.filter((resource) => resource.kind === 'Service')) {
      assert.ok(selected(service).length > 0, `Service ${service.name} selects no pod`);
      for (const port of list(obj(service.body.spec, 'spec').ports, service.name)) {
        const { targets } = servicePort(service, Number(obj(port, service.name).port));
        assert.ok(
          targets.every((target) => target !== undefined),
          `Service ${service.name}: targetPort`,
        );
      }
    }
  });

  test("probes ask ports the settings open, the API's on a public route", () => {
    for (const { container, keel } of keelContainers())
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        if (container[probe] === undefined) continue;
        const check = obj(container[probe], `${keel.where} ${probe}`);
        const action = obj(check.httpGet ?? check.tcpSocket, `${keel.where} ${probe}: httpGet or tcpSocket`);
        const port = resolvePort(container, action.port);
        assert.ok(
          port !== undefined && keel.ports.includes(port),
          `${keel.where} ${probe}: port ${String(action.port)}`,
        );
        if (keel.process.kind === 'keel' && keel.process.role === 'api')
          assert.ok(PUBLIC_ROUTES.includes(str(action.path, probe)), `${keel.where} ${probe}: needs a token`);
      }
  });

  test("a stopping worker has longer than its activities' grace", () => {
    for (const { workload, keel } of keelContainers()) {
      if (keel.process.kind !== 'keel') continue;
      const seconds = podSpec(workload).terminationGracePeriodSeconds;
      assert.equal(typeof seconds, 'number', `${keel.where}: terminationGracePeriodSeconds`);
      assert.ok(
        (seconds as number) >= GRACE_SECONDS + 5,
        `${keel.where}: ${String(seconds)} s ≤ ${GRACE_SECONDS} s + margin`,
      );
    }
  });

  test("TEMPORAL_ADDRESS is the Temporal chart's frontend, and the chart persists to PostgreSQL defined here", () => {
    const chart = obj(values, 'temporal-values.yaml');
    const server = obj(chart.server, 'server');
    const install = /helm install .*--namespace (\S+)/.exec(
      readFileSync(join(k8sDir, 'temporal-values.yaml'), 'utf8'),
    );
    assert.ok(install, 'temporal-values.yaml: the helm install command with --namespace');
    const namespace = install[1]!;
    assert.ok(namespaces.has(namespace));
    const port = Number(obj(obj(server.frontend, 'frontend').service, 'frontend service').port ?? 7233);
    const address = `${str(chart.fullnameOverride, 'fullnameOverride')}-frontend.${namespace}.svc.cluster.local:${port}`;
    for (const { keel } of keelContainers())
      if (keel.process.kind === 'keel') assert.equal(keel.env.TEMPORAL_ADDRESS, address, keel.where);

    const persistence = obj(obj(server.config, 'config').persistence, 'persistence');
    const stores = obj(persistence.datastores, 'datastores');
    for (const store of [persistence.defaultStore, persistence.visibilityStore]) {
      const sql = obj(obj(stores[str(store, 'store')], String(store)).sql, `${String(store)} sql`);
      assert.match(str(sql.pluginName, 'pluginName'), /^postgres12/);
      const [host, sqlPort] = str(sql.connectAddr, 'connectAddr').split(':');
      const { workloads: behind } = servicePort(serviceAt(host!, namespace), Number(sqlPort));
      assert.ok(behind.length > 0, `${String(store)}: ${host} selects no PostgreSQL here`);
      const secret = find('Secret', str(sql.existingSecret, 'existingSecret'), namespace);
      assert.ok(str(sql.secretKey, 'secretKey') in data(secret), `${secret.name}: ${String(sql.secretKey)}`);
    }
    const keelNamespace = obj(obj(server.config, 'config').namespaces, 'namespaces');
    assert.equal(keelNamespace.create, true);
    const created = list(keelNamespace.namespace, 'namespaces').map((n) => obj(n, 'namespace').name);
    for (const { keel } of keelContainers())
      if (keel.process.kind === 'keel') assert.ok(created.includes(keel.env.TEMPORAL_NAMESPACE), keel.where);
  });

  test("DATABASE_URL is the ledger's PostgreSQL Service, with its user and database", () => {
    for (const { workload, keel } of keelContainers()) {
      if (keel.process.kind !== 'keel') continue;
      const url = new URL(keel.env.DATABASE_URL!);
      const { workloads: behind } = servicePort(serviceAt(url.hostname, workload.namespace), portOf(url));
      assert.equal(behind.length, 1, `${keel.where}: DATABASE_URL's host`);
      const env = new Map(
        list(containersOf(behind[0]!)[0]!.env, 'env').map((e) => {
          const entry = obj(e, 'env');
          return [entry.name, entry.value] as const;
        }),
      );
      assert.equal(url.username, env.get('POSTGRES_USER'));
      assert.equal(url.pathname.slice(1), env.get('POSTGRES_DB') ?? env.get('POSTGRES_USER'));
    }
  });

  test("Prometheus scrapes Keel's metrics and every SDK endpoint, at Services and ports defined here", () => {
    const prometheus = find('Deployment', 'prometheus', 'keel');
    const container = containersOf(prometheus)[0]!;
    const configFile = strings(container.args, 'args').find((arg) => arg.startsWith('--config.file='));
    const configPath = configFile?.split('=')[1];
    const mounts = optList(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'volumeMount'));
    const volumes = list(podSpec(prometheus).volumes, 'volumes').map((v) => obj(v, 'volume'));
    const volumeAt = (path: string) => {
      const mount = mounts.find(
        (m) => path === m.mountPath || path.startsWith(`${str(m.mountPath, 'mountPath')}/`),
      );
      assert.ok(mount, `prometheus: nothing is mounted at ${path}`);
      return { mount, volume: volumes.find((v) => v.name === mount.name)! };
    };
    const { mount, volume } = volumeAt(configPath!);
    const configMap = find(
      'ConfigMap',
      str(obj(volume.configMap, 'configMap').name, 'name'),
      prometheus.namespace,
    );
    const jobs = scrapeTargets(
      parse(str(data(configMap)[str(mount.subPath, 'subPath')], 'prometheus.yml')),
      'prometheus.yml',
    );

    const scraped = new Set<string>();
    for (const job of jobs)
      for (const target of job.targets) {
        const service = serviceAt(target.host, prometheus.namespace);
        if (target.dns)
          assert.equal(obj(service.body.spec, 'spec').clusterIP, 'None', `${service.name}: headless`);
        const { targets, workloads: behind } = servicePort(service, target.port);
        for (const workload of behind) {
          const keel = keelContainers().find((entry) => entry.workload === workload)?.keel;
          if (!keel) continue;
          const port = targets[behind.indexOf(workload)]!;
          scraped.add(`${workload.name}:${port}`);
          if (keel.process.kind === 'keel' && keel.env.KEEL_API_PORT === String(port)) {
            assert.equal(job.path, '/metrics');
            assert.ok(
              job.credentialsFile,
              `prometheus.yml ${job.name}: the API's /metrics needs the read token`,
            );
            const token = volumeAt(job.credentialsFile);
            const secret = obj(token.volume.secret, 'token volume');
            const item = list(secret.items, 'items')
              .map((i) => obj(i, 'item'))
              .find(
                (i) =>
                  `${str(token.mount.mountPath, 'mountPath')}/${str(i.path, 'path')}` === job.credentialsFile,
              );
            assert.ok(
              item?.key === 'KEEL_API_READ_TOKEN' || item?.key === 'KEEL_API_TOKEN',
              'the read token',
            );
            find('Secret', str(secret.secretName, 'secretName'), prometheus.namespace);
          }
        }
      }
    for (const { workload, keel } of keelContainers()) {
      if (keel.process.kind !== 'keel') continue;
      for (const [port, setting] of checkKeelContainer(keel, new Set()).ports)
        assert.ok(
          scraped.has(`${workload.name}:${port}`),
          `Prometheus scrapes nothing at ${workload.name}:${port} (${setting})`,
        );
    }
  });
});

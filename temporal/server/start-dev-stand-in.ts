import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findFreeServicePorts } from './process';
import type { ServicePorts, TemporalServerSettings } from './settings';

/**
 * A stand-in for `temporal server start-dev` backed by PostgreSQL, for the test tier of
 * `npm run temporal:server -- test`. Some of Keel's core tests (orchestrator restart, grid chaos) start a
 * Temporal server of their own through `startDevServer` so that they can kill and restart it; the tier
 * hands them, as TEMPORAL_CLI, a wrapper script that turns `server start-dev` into this PostgreSQL-backed
 * server (and passes every other command to the real CLI), so they exercise the same server as the rest.
 *
 * The wrapper runs `stand-in-main.ts` (which prepares databases and config and prints the config path),
 * then `exec`s the server: the process the test holds is the server itself, so its SIGKILL is a crash.
 */

/** Prefix of the databases the stand-in creates; the tier drops them all at the end. */
export const STAND_IN_DATABASE_PREFIX = 'keel_temporal_standin_';

export interface StartDevArgs {
  ip: string;
  port: number;
  dbFile: string | undefined;
  namespace: string;
  dynamicConfig: Record<string, unknown>;
}

/** The flags of `temporal server start-dev` Keel passes (temporal/dev-server.ts); others are ignored. */
export function parseStartDevArgs(args: string[]): StartDevArgs {
  const parsed: StartDevArgs = {
    ip: '127.0.0.1',
    port: 7233,
    dbFile: undefined,
    namespace: 'default',
    dynamicConfig: {},
  };
  for (let index = 0; index < args.length; index += 1) {
    const value = args[index + 1] ?? '';
    switch (args[index]) {
      case '--ip':
        parsed.ip = value;
        break;
      case '--port':
        parsed.port = Number(value);
        break;
      case '--db-filename':
        parsed.dbFile = value;
        break;
      case '--namespace':
        parsed.namespace = value;
        break;
      case '--dynamic-config-value': {
        const at = value.indexOf('=');
        parsed.dynamicConfig[value.slice(0, at)] = JSON.parse(value.slice(at + 1)) as unknown;
        break;
      }
      default:
        continue;
    }
    index += 1;
  }
  return parsed;
}

/** What the stand-in remembers of one dev-server db file, so that a restart finds the same server. */
export interface StandInState {
  database: string;
  ports: ServicePorts;
  namespacePrepared: boolean;
}

/**
 * The state for these start-dev flags: read back for a db file started before (same databases, same
 * ports: a restart finds its own membership records), or new (fresh databases per in-memory start).
 */
export async function standInState(
  args: StartDevArgs,
): Promise<{ state: StandInState; stateFile: string; dir: string }> {
  const key = args.dbFile
    ? createHash('sha256').update(args.dbFile).digest('hex').slice(0, 12)
    : randomBytes(6).toString('hex');
  const dir = args.dbFile
    ? `${args.dbFile}.keel-temporal-server`
    : join(tmpdir(), `keel-temporal-standin-${key}`);
  const stateFile = join(dir, 'stand-in.json');
  if (existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as StandInState;
    if (state.ports.frontendGrpc === args.port) return { state, stateFile, dir };
  }
  const state: StandInState = {
    database: `${STAND_IN_DATABASE_PREFIX}${key}`,
    ports: await findFreeServicePorts(args.ip, args.port),
    namespacePrepared: false,
  };
  return { state, stateFile, dir };
}

export function saveStandInState(stateFile: string, state: StandInState): void {
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
}

/** The server settings for a stand-in: the tier's PostgreSQL, the state's databases and ports, 1 shard. */
export function standInSettings(
  base: TemporalServerSettings,
  args: StartDevArgs,
  state: StandInState,
  dir: string,
): TemporalServerSettings {
  return {
    ...base,
    postgres: {
      ...base.postgres,
      database: state.database,
      visibilityDatabase: `${state.database}_visibility`,
    },
    host: args.ip,
    ports: state.ports,
    // As start-dev: one shard starts fastest.
    historyShards: 1,
    namespace: args.namespace,
    dir,
    dynamicConfig: { ...base.dynamicConfig, ...args.dynamicConfig },
  };
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface WrapperOptions {
  /** The real `temporal` CLI, for every command but `server start-dev`. */
  realCli: string;
  server: string;
  /** The repository root (tsx resolves from there). */
  root: string;
}

/** Writes the wrapper (`<dir>/temporal`), executable; returns its path. */
export function writeStandInWrapper(dir: string, options: WrapperOptions): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'temporal');
  const entry = join(options.root, 'temporal', 'server', 'stand-in-main.ts');
  const script = [
    '#!/bin/sh',
    '# Written by `npm run temporal:server -- test` (temporal/server/start-dev-stand-in.ts):',
    '# `temporal server start-dev ...` runs the PostgreSQL-backed server; anything else runs the real CLI.',
    'if [ "$1" = server ] && [ "$2" = start-dev ]; then',
    '  shift 2',
    `  config=$(cd ${shellQuote(options.root)} && ${shellQuote(process.execPath)} --import tsx ${shellQuote(entry)} "$@") || exit 1`,
    `  exec ${shellQuote(options.server)} --config-file "$config" --allow-no-auth start`,
    'fi',
    `exec ${shellQuote(options.realCli)} "$@"`,
    '',
  ].join('\n');
  writeFileSync(path, script, { mode: 0o755 });
  return path;
}

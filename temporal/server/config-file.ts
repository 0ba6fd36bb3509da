import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultDynamicConfig } from '../dev-server';
import type { TemporalServerSettings } from './settings';

/**
 * Dynamic config of Keel's PostgreSQL-backed server, chosen to behave like Keel's dev server
 * (`temporal server start-dev` of CLI v1.5.1 plus `defaultDynamicConfig`) where Keel can tell:
 * - eager activity execution, as Keel's dev server (temporal/dev-server.ts);
 * - search attributes visible at once and the persistence QPS raised accordingly, as start-dev does;
 * - visibility API rate 100/s per namespace, as start-dev does (the server's default, 10/s, throttles
 *   tests that list workflows in a loop).
 * Updates, async-accepted updates and eager workflow start are on by default in v1.31.
 */
export const serverDynamicConfig: Record<string, unknown> = {
  ...defaultDynamicConfig,
  'system.forceSearchAttributesCacheRefreshOnRead': true,
  'frontend.persistenceMaxQPS': 10000,
  'history.persistenceMaxQPS': 45000,
  'frontend.namespaceRPS.visibility': 100,
};

function datastore(settings: TemporalServerSettings, database: string, maxConns: number) {
  const { postgres } = settings;
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${postgres.host}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

function rpc(settings: TemporalServerSettings, grpcPort: number, membershipPort: number, httpPort?: number) {
  const bind = settings.host === '127.0.0.1' ? { bindOnLocalHost: true } : { bindOnIP: settings.host };
  return { rpc: { grpcPort, membershipPort, ...bind, ...(httpPort ? { httpPort } : {}) } };
}

/** The server's static config (`server --config-file`), as a plain object. */
export function serverConfig(settings: TemporalServerSettings, dynamicConfigFile: string) {
  const { ports } = settings;
  const address = `${settings.host}:${ports.frontendGrpc}`;
  return {
    log: { stdout: true, level: settings.logLevel, format: 'json' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: settings.historyShards,
      datastores: {
        'postgres-default': datastore(settings, settings.postgres.database, settings.postgres.maxConns),
        'postgres-visibility': datastore(
          settings,
          settings.postgres.visibilityDatabase,
          settings.postgres.visibilityMaxConns,
        ),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: settings.host } },
    services: {
      frontend: rpc(settings, ports.frontendGrpc, ports.frontendMembership, ports.frontendHttp),
      history: rpc(settings, ports.historyGrpc, ports.historyMembership),
      matching: rpc(settings, ports.matchingGrpc, ports.matchingMembership),
      worker: rpc(settings, ports.workerGrpc, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: address,
          httpAddress: `${settings.host}:${ports.frontendHttp}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: {
      archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    },
    publicClient: { hostPort: address },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** The dynamic config file: every key holds one unconstrained value. */
export function dynamicConfigYaml(values: Record<string, unknown>): string {
  return stringify(
    Object.fromEntries(Object.entries(values).map(([key, value]) => [key, [{ value, constraints: {} }]])),
  );
}

export interface ConfigFiles {
  configFile: string;
  dynamicConfigFile: string;
  logFile: string;
}

/** Writes `config.yaml` and `dynamic-config.yaml` into the settings' folder; returns their paths. */
export function writeServerConfig(settings: TemporalServerSettings): ConfigFiles {
  mkdirSync(settings.dir, { recursive: true });
  const files = {
    configFile: join(settings.dir, 'config.yaml'),
    dynamicConfigFile: join(settings.dir, 'dynamic-config.yaml'),
    logFile: join(settings.dir, 'server.log'),
  };
  writeFileSync(
    files.dynamicConfigFile,
    dynamicConfigYaml({ ...serverDynamicConfig, ...settings.dynamicConfig }),
  );
  // The password is in the file, as the server reads it: readable by the owner only.
  writeFileSync(files.configFile, stringify(serverConfig(settings, files.dynamicConfigFile)), {
    mode: 0o600,
  });
  return files;
}

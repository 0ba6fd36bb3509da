import { accessSync, constants } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { StartupError } from '../../config/startup-error';
import { buildWithGo, defaultCacheBinDir, type GoTool } from '../cli-binary';

/**
 * The Temporal server release Keel builds. The newest of v1.29–v1.31 that builds from the Go module proxy
 * here: v1.31.3–v1.31.5 need `go.temporal.io/auto-scaled-workers` versions the proxy refuses (HTTP 403
 * "This module version is not available"), and v1.31.5 and v1.30.9 also need Go 1.26.10. v1.31.2 needs
 * Go 1.26.4 and has no `replace` directive.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.31.2';

const module = 'go.temporal.io/server';

/**
 * `go install` names binaries after their package folder (`server`, `sql`), too generic for PATH, so they
 * are looked up only through their variable or in a folder of the cache named after the version.
 */
export const temporalServerTool: GoTool = {
  name: 'server',
  envVar: 'TEMPORAL_SERVER_BINARY',
  goPackage: `${module}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
};

export const temporalSqlTool: GoTool = {
  name: 'sql',
  envVar: 'TEMPORAL_SQL_TOOL',
  goPackage: `${module}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
};

export interface ServerBinaries {
  server: string;
  sqlTool: string;
}

export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultCacheBinDir(env), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The binary from its variable, or from the cache; undefined when it has to be built. */
export function findServerTool(tool: GoTool, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env[tool.envVar];
  if (fromEnv) {
    if (!executable(fromEnv)) {
      throw new StartupError(`${tool.envVar}=${fromEnv} is not an executable file; fix or unset it.`);
    }
    return fromEnv;
  }
  const cached = join(serverCacheDir(env), tool.name);
  return executable(cached) ? cached : undefined;
}

/**
 * Runs `build` with this process's scheduling priority lowered by `nice` (children inherit it, so the Go
 * compiler yields to tests sharing the machine), then restores it.
 */
async function niced<T>(nice: number, build: () => Promise<T>): Promise<T> {
  const before = getPriority();
  try {
    setPriority(Math.min(19, before + nice));
  } catch {
    // Not allowed to change it: build at the current priority.
  }
  try {
    return await build();
  } finally {
    try {
      setPriority(before);
    } catch {
      // Lowering is always allowed, raising back only with privileges; stay lowered otherwise.
    }
  }
}

export interface ObtainOptions {
  env?: NodeJS.ProcessEnv;
  /** Niceness added for the build (default 10). */
  nice?: number;
}

/**
 * The server and the schema tool, each found (variable, cache) or built once with `go install` into
 * `~/.cache/keel/bin/temporal-server-<version>/`. About 10 minutes on 2 cores with empty Go caches.
 */
export async function obtainServerBinaries(options: ObtainOptions = {}): Promise<ServerBinaries> {
  const env = options.env ?? process.env;
  const lookup = { env, cacheBinDir: serverCacheDir(env) };
  const obtain = async (tool: GoTool) =>
    findServerTool(tool, env) ?? niced(options.nice ?? 10, () => buildWithGo(tool, lookup));
  // One after the other: the second reuses the first's compiled packages.
  const server = await obtain(temporalServerTool);
  const sqlTool = await obtain(temporalSqlTool);
  return { server, sqlTool };
}

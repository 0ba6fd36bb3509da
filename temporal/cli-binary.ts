import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { StartupError } from '../config/startup-error';

/** A Go-built command-line tool Keel can obtain by itself. */
export interface GoTool {
  /** Executable name, also looked up on PATH. */
  name: string;
  /** Environment variable that may point at an existing binary. */
  envVar: string;
  /** `go install` target, pinned. */
  goPackage: string;
}

export const temporalCli: GoTool = {
  name: 'temporal',
  envVar: 'TEMPORAL_CLI',
  // v1.5.1 is the newest tag without a `replace` directive; later tags fail under `go install`.
  goPackage: 'github.com/temporalio/cli/cmd/temporal@v1.5.1',
};

export const tctlCli: GoTool = {
  name: 'tctl',
  envVar: 'TCTL_CLI',
  goPackage: 'github.com/temporalio/tctl/cmd/tctl@v1.18.4',
};

export interface LookupEnvironment {
  env: NodeJS.ProcessEnv;
  /** Folder holding binaries Keel built; shared by every clone on the machine. */
  cacheBinDir: string;
  /** Where Go may live when it is not on PATH. */
  goFallbacks?: string[];
}

export function defaultCacheBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheRoot = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheRoot, 'keel', 'bin');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export type BinarySource = 'env' | 'path' | 'cache';

/** Finds an existing binary without building anything: env var, then PATH, then Keel's cache. */
export function findExistingBinary(
  tool: GoTool,
  lookup: LookupEnvironment,
): { path: string; source: BinarySource } | undefined {
  const fromEnv = lookup.env[tool.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new StartupError(`${tool.envVar}=${fromEnv} is not an executable file; fix or unset it.`);
    }
    return { path: fromEnv, source: 'env' };
  }
  const onPath = findOnPath(tool.name, lookup.env);
  if (onPath) return { path: onPath, source: 'path' };
  const cached = join(lookup.cacheBinDir, tool.name);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

function findGo(lookup: LookupEnvironment): string | undefined {
  return findOnPath('go', lookup.env) ?? (lookup.goFallbacks ?? ['/usr/local/go/bin/go']).find(isExecutable);
}

/**
 * Builds the tool with `go install` into the cache folder, streaming Go's progress to stderr.
 * Resolves to the binary's path; rejects with a one-line StartupError when Go is missing or the build fails.
 */
export async function buildWithGo(tool: GoTool, lookup: LookupEnvironment): Promise<string> {
  const go = findGo(lookup);
  if (!go) {
    throw new StartupError(
      `cannot obtain the ${tool.name} CLI: Go is not installed. Install Go 1.22+ (https://go.dev/dl, or ` +
        `'apt-get install golang'), or set ${tool.envVar} to an existing ${tool.name} binary.`,
    );
  }
  mkdirSync(lookup.cacheBinDir, { recursive: true });
  process.stderr.write(
    `[keel] building ${tool.name} once with 'go install ${tool.goPackage}' into ${lookup.cacheBinDir} ` +
      `(a few minutes; later runs reuse it)\n`,
  );
  const started = Date.now();
  const child = spawn(go, ['install', tool.goPackage], {
    env: { ...lookup.env, GOBIN: lookup.cacheBinDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;
  const heartbeat = setInterval(
    () => process.stderr.write(`[keel]   still building ${tool.name} (${elapsed()})\n`),
    15_000,
  );
  const tail: string[] = [];
  let downloads = 0;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter((l) => l.trim())) {
      if (line.startsWith('go: downloading')) {
        downloads += 1;
        if (downloads % 25 === 1)
          process.stderr.write(`[keel]   ${elapsed()} ${downloads} modules fetched, ${line}\n`);
      } else {
        tail.push(line);
        if (tail.length > 5) tail.shift();
      }
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(heartbeat);
  const binary = join(lookup.cacheBinDir, tool.name);
  if (code !== 0 || !existsSync(binary)) {
    const reason = tail.slice(-2).join(' | ');
    throw new StartupError(
      `'go install ${tool.goPackage}' failed (exit ${code}): ${reason || 'no output'}. ` +
        `Set ${tool.envVar} to an existing ${tool.name} binary instead.`,
    );
  }
  process.stderr.write(`[keel] built ${binary} in ${Math.round((Date.now() - started) / 1000)}s\n`);
  return binary;
}

/** Returns a usable binary for the tool, building it once if nothing is found. */
export async function obtainBinary(
  tool: GoTool,
  lookup: LookupEnvironment = { env: process.env, cacheBinDir: defaultCacheBinDir() },
): Promise<string> {
  return findExistingBinary(tool, lookup)?.path ?? buildWithGo(tool, lookup);
}

/** The version line a binary prints, used to check that a found binary actually runs. */
export function binaryVersion(path: string): string {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new StartupError(`${path} --version failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

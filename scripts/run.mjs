// Entry for `npm start` / `npm test`: installs dependencies when they are missing or stale (so a fresh
// clone needs only these commands), then runs the given TypeScript file under tsx.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installedMarker = join(root, 'node_modules', '.package-lock.json');
const lockfile = join(root, 'package-lock.json');

function dependenciesAreStale() {
  if (!existsSync(installedMarker)) return true;
  return statSync(lockfile).mtimeMs > statSync(installedMarker).mtimeMs;
}

if (dependenciesAreStale()) {
  console.log('[keel] installing dependencies from package-lock.json (npm install) ...');
  // `npm install` rather than `npm ci`: this npm writes lockfiles without other platforms' optional
  // packages, which `npm ci` then refuses; `npm install` honours the locked versions exactly.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('[keel] npm install failed; see the output above.');
    process.exit(result.status ?? 1);
  }
}

const [entry, ...args] = process.argv.slice(2);
// Without an entry it only makes sure dependencies are installed (used by .ci/run before linting).
if (!entry) process.exit(0);
// The entry point gets a process group of its own: a terminal's Ctrl-C signals the whole foreground group,
// and would stop the dev server and PostgreSQL the entry point started before its worker has drained.
// This process forwards the signal once, and the entry point stops everything in order.
const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry), ...args], {
  cwd: root,
  stdio: 'inherit',
  detached: true,
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

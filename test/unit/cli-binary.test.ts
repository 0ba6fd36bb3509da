import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { StartupError } from '../../config/startup-error';
import { buildWithGo, findExistingBinary, temporalCli, type GoTool } from '../../temporal/cli-binary';

const root = mkdtempSync(join(tmpdir(), 'keel-cli-binary-'));
after(() => rmSync(root, { recursive: true, force: true }));

function executable(dir: string, name: string, body = 'echo fake'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('findExistingBinary: TEMPORAL_CLI, then PATH, then the cache', () => {
  const fromEnv = executable(join(root, 'env'), 'temporal');
  const onPath = executable(join(root, 'path'), 'temporal');
  const cacheBinDir = join(root, 'cache');
  const cached = executable(cacheBinDir, 'temporal');

  test('the environment variable wins', () => {
    const found = findExistingBinary(temporalCli, {
      env: { TEMPORAL_CLI: fromEnv, PATH: join(root, 'path') },
      cacheBinDir,
    });
    assert.deepEqual(found, { path: fromEnv, source: 'env' });
  });

  test('PATH comes before the cache', () => {
    const found = findExistingBinary(temporalCli, {
      env: { PATH: `/nonexistent:${join(root, 'path')}` },
      cacheBinDir,
    });
    assert.deepEqual(found, { path: onPath, source: 'path' });
  });

  test('the cache is the last place looked', () => {
    assert.deepEqual(findExistingBinary(temporalCli, { env: { PATH: '/nonexistent' }, cacheBinDir }), {
      path: cached,
      source: 'cache',
    });
  });

  test('nothing found gives undefined', () => {
    assert.equal(
      findExistingBinary(temporalCli, { env: { PATH: '' }, cacheBinDir: join(root, 'empty') }),
      undefined,
    );
  });

  test('a TEMPORAL_CLI that is not executable is a one-line startup error', () => {
    assert.throws(
      () => findExistingBinary(temporalCli, { env: { TEMPORAL_CLI: join(root, 'missing') }, cacheBinDir }),
      (error: unknown) =>
        error instanceof StartupError && /TEMPORAL_CLI=.*not an executable/.test(error.message),
    );
  });
});

describe('buildWithGo', () => {
  const tool: GoTool = { name: 'faketool', envVar: 'FAKETOOL_CLI', goPackage: 'example.com/faketool@v1.0.0' };

  test('without Go it says exactly what to install or set', async () => {
    await assert.rejects(
      buildWithGo(tool, { env: { PATH: '' }, cacheBinDir: join(root, 'nogo'), goFallbacks: [] }),
      (error: unknown) => {
        assert.ok(error instanceof StartupError);
        assert.match(error.message, /Go is not installed/);
        assert.match(error.message, /FAKETOOL_CLI/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });

  test('runs go install with GOBIN set to the cache and returns the built binary', async () => {
    const cacheBinDir = join(root, 'built');
    // A stand-in for Go that "builds" by writing the binary where GOBIN points, as `go install` does.
    const goDir = join(root, 'fakego');
    executable(
      goDir,
      'go',
      'printf "#!/bin/sh\\necho built $2\\n" > "$GOBIN/faketool"; /bin/chmod +x "$GOBIN/faketool"',
    );
    const built = await buildWithGo(tool, { env: { PATH: goDir }, cacheBinDir, goFallbacks: [] });
    assert.equal(built, join(cacheBinDir, 'faketool'));
  });

  test('a failed build reports Go’s own last words in one line', async () => {
    const goDir = join(root, 'failinggo');
    executable(goDir, 'go', 'echo "go: example.com/faketool@v1.0.0: 403 Forbidden" >&2; exit 1');
    await assert.rejects(
      buildWithGo(tool, { env: { PATH: goDir }, cacheBinDir: join(root, 'failed'), goFallbacks: [] }),
      (error: unknown) =>
        error instanceof StartupError && /403 Forbidden/.test(error.message) && !/\n/.test(error.message),
    );
  });
});

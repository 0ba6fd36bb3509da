import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../config/keel-config';
import { StartupError } from '../../config/startup-error';

describe('loadConfig', () => {
  test('an empty environment gives the embedded defaults', () => {
    const config = loadConfig({});
    assert.equal(config.TEMPORAL_ADDRESS, undefined);
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.TEMPORAL_GRPC_PORT, 7233);
    assert.equal(config.TEMPORAL_UI_PORT, 8233);
    assert.equal(config.KEEL_API_PORT, 3000);
    assert.match(config.dataDir, /\.keel-data$/);
  });

  test('empty strings count as unset', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: '', DATABASE_URL: '' });
    assert.equal(config.TEMPORAL_ADDRESS, undefined);
    assert.equal(config.DATABASE_URL, undefined);
  });

  test('ports arrive as strings and are coerced', () => {
    assert.equal(loadConfig({ KEEL_API_PORT: '4000' }).KEEL_API_PORT, 4000);
  });

  test('every bad key is named in one line', () => {
    const attempt = () =>
      loadConfig({
        KEEL_API_PORT: 'abc',
        TEMPORAL_UI_PORT: '70000',
        DATABASE_URL: 'mysql://x',
        KEEL_LOG_LEVEL: 'loud',
      });
    assert.throws(attempt, (error: unknown) => {
      assert.ok(error instanceof StartupError);
      assert.doesNotMatch(error.message, /\n/);
      for (const key of ['KEEL_API_PORT', 'TEMPORAL_UI_PORT', 'DATABASE_URL', 'KEEL_LOG_LEVEL']) {
        assert.match(error.message, new RegExp(key));
      }
      return true;
    });
  });
});

describe('loadConfig: the payload codec', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  test('unset: no encryption; keys: the first is active unless one is named', () => {
    assert.equal(loadConfig({}).codecKeys, undefined);
    const config = loadConfig({ KEEL_CODEC_KEYS: `a:${key},b:${key}` });
    assert.equal(config.codecKeys?.activeKeyId, 'a');
    assert.equal(
      loadConfig({ KEEL_CODEC_KEYS: `a:${key},b:${key}`, KEEL_CODEC_ACTIVE_KEY: 'b' }).codecKeys?.activeKeyId,
      'b',
    );
  });

  test('a malformed or missing key stops start-up with one line naming the setting, never the key', () => {
    for (const [env, message] of [
      [
        { KEEL_CODEC_KEYS: 'a:short' },
        /^bad configuration: KEEL_CODEC_KEYS: key 'a' is not 32 bytes in base64$/,
      ],
      [
        { KEEL_CODEC_ACTIVE_KEY: 'a' },
        /^bad configuration: KEEL_CODEC_ACTIVE_KEY: names a key, but KEEL_CODEC_KEYS is missing$/,
      ],
      [
        { KEEL_CODEC_KEYS: `a:${key}`, KEEL_CODEC_ACTIVE_KEY: 'b' },
        /^bad configuration: KEEL_CODEC_ACTIVE_KEY: 'b' is not one of KEEL_CODEC_KEYS$/,
      ],
    ] as const) {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => {
          assert.ok(error instanceof StartupError);
          assert.match(error.message, message);
          assert.ok(!error.message.includes(key));
          return true;
        },
      );
    }
  });
});

describe('worker deployment version (KEEL_WORKER_DEPLOYMENT_VERSION)', () => {
  test('unset: unversioned; set: the deployment and the build id, split at the first dot', () => {
    assert.equal(loadConfig({}).KEEL_WORKER_DEPLOYMENT_VERSION, undefined);
    assert.deepEqual(
      loadConfig({ KEEL_WORKER_DEPLOYMENT_VERSION: 'keel.2026-12-03.2' }).KEEL_WORKER_DEPLOYMENT_VERSION,
      {
        deploymentName: 'keel',
        buildId: '2026-12-03.2',
      },
    );
  });

  test('a version that does not parse stops start-up with one line naming the setting', () => {
    for (const version of ['keel', '.b1', 'keel.', 'keel b.1', 'ke/el.1', `keel.${'x'.repeat(260)}`])
      assert.throws(
        () => loadConfig({ KEEL_WORKER_DEPLOYMENT_VERSION: version }),
        (error: unknown) => {
          assert.ok(error instanceof StartupError);
          assert.ok(!error.message.includes('\n'));
          assert.match(error.message, /^bad configuration: KEEL_WORKER_DEPLOYMENT_VERSION: must be/);
          return true;
        },
        version,
      );
  });
});

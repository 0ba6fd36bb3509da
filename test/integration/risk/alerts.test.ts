import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import {
  AlertSettingsSchema,
  alertSettingsFromEnv,
  createAlertActivities,
  type AlertSettings,
} from '../../../activities/alerts';
import { connectPool } from '../../../db/pool';
import { startAlertReceiver } from '../../support/alert-receiver';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

const slackPath = '/slack/T000/B000/secretpart';
const telegramPath = '/tg/bot123:secret-token/sendMessage';
const secrets = ['secretpart', 'secret-token'];

/** A failure the way the worker would hand it to Temporal: type, retryability, and no secret anywhere. */
function assertFailure(error: unknown, type: string, retryable: boolean, message: RegExp): true {
  assert.ok(error instanceof ApplicationFailure, `not an ApplicationFailure: ${String(error)}`);
  assert.equal(error.type, type);
  assert.equal(error.nonRetryable, !retryable);
  assert.match(error.message, message);
  assert.equal(error.cause, undefined, 'a cause would carry the original error into history');
  for (const secret of secrets) {
    assert.ok(!error.message.includes(secret), `message leaks ${secret}: ${error.message}`);
    assert.ok(!String(error.stack).includes(secret), `stack leaks ${secret}`);
    assert.ok(!JSON.stringify(error.details ?? []).includes(secret), `details leak ${secret}`);
  }
  return true;
}

describe('alerts: one Slack and one Telegram message per incident', () => {
  let database: TestDatabase;
  let receiver: Awaited<ReturnType<typeof startAlertReceiver>>;
  before(async () => {
    [database, receiver] = await Promise.all([createTestDatabase('alerts'), startAlertReceiver()]);
  });
  after(async () => {
    await receiver?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    receiver.reset();
    await database.pool.query('TRUNCATE alerts');
  });

  const settings = (overrides: Partial<AlertSettings> = {}): AlertSettings =>
    AlertSettingsSchema.parse({
      slackWebhookUrl: `http://127.0.0.1:${receiver.port}${slackPath}`,
      telegramApiUrl: `http://127.0.0.1:${receiver.port}/tg`,
      telegramBotToken: '123:secret-token',
      telegramChatId: '-10042',
      perMinute: 20,
      ...overrides,
    });
  const activities = (alerts: AlertSettings | undefined = settings()) =>
    createAlertActivities({ pool: database.pool, alerts });
  const delivered = (path: string) =>
    receiver.received.filter((request) => request.path === path && request.answered === 200);

  test('an incident reaches each channel once, in the real request shapes; its retry sends nothing', async () => {
    const alerts = activities();
    const text = 'breaker tripped on BTC-USDT: 3 losses in 10 minutes';
    assert.deepEqual(await alerts.sendAlert({ incident: 'breaker:BTC-USDT:1', text }), {
      slack: 'sent',
      telegram: 'sent',
    });
    const byPath = [...receiver.received].sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(byPath, [
      { method: 'POST', path: slackPath, contentType: 'application/json', body: { text }, answered: 200 },
      {
        method: 'POST',
        path: telegramPath,
        contentType: 'application/json',
        body: { chat_id: '-10042', text },
        answered: 200,
      },
    ]);

    assert.deepEqual(await alerts.sendAlert({ incident: 'breaker:BTC-USDT:1', text }), {
      slack: 'already-sent',
      telegram: 'already-sent',
    });
    assert.equal(receiver.received.length, 2);
    const { rows } = await database.pool.query(
      `SELECT channel, status, attempts, sending_until FROM alerts ORDER BY channel`,
    );
    assert.deepEqual(rows, [
      { channel: 'slack', status: 'sent', attempts: 1, sending_until: null },
      { channel: 'telegram', status: 'sent', attempts: 1, sending_until: null },
    ]);
  });

  test('a failed request throws a retryable error without secrets; the retry delivers only what is missing', async () => {
    const alerts = activities();
    const alert = { incident: 'kill-switch:1', text: 'kill switch engaged' };
    receiver.failNext(1);
    await assert.rejects(alerts.sendAlert(alert), (error) =>
      assertFailure(error, 'AlertNotDelivered', true, /^(slack webhook|telegram sendMessage) answered 500$/),
    );
    assert.equal(receiver.received.length, 2, 'both channels were tried');
    const retried = await alerts.sendAlert(alert);
    assert.deepEqual(Object.values(retried).sort(), ['already-sent', 'sent']);
    assert.equal(receiver.received.length, 3, 'the retry sent only the channel that had failed');
    assert.equal(delivered(slackPath).length, 1);
    assert.equal(delivered(telegramPath).length, 1);
  });

  test('an unreachable endpoint is retryable and named without its URL', async () => {
    const closed = await startAlertReceiver();
    await closed.close();
    const alerts = activities(
      settings({
        slackWebhookUrl: `http://127.0.0.1:${closed.port}${slackPath}`,
        telegramBotToken: undefined,
        telegramChatId: undefined,
      }),
    );
    await assert.rejects(
      alerts.sendAlert({ incident: 'venue-down:binance:1', text: 'binance unreachable' }),
      (error) =>
        assertFailure(error, 'AlertNotDelivered', true, /^slack webhook unreachable \(ECONNREFUSED\)$/),
    );
  });

  test('an endpoint refusing the request is misconfiguration: not retried, and its echo of the secret is blanked', async () => {
    const alerts = activities();
    receiver.failNext(1, { status: 401, path: '/tg/' });
    await assert.rejects(alerts.sendAlert({ incident: 'degraded:grid:1', text: 'grid degraded' }), (error) =>
      assertFailure(error, 'AlertMisconfigured', false, /^telegram sendMessage answered 401: .*Unauthorized/),
    );
    // Slack, configured right, delivered in the same call.
    assert.equal(delivered(slackPath).length, 1);

    receiver.failNext(1, { status: 404, path: '/slack/' });
    await assert.rejects(alerts.sendAlert({ incident: 'degraded:grid:2', text: 'grid degraded' }), (error) =>
      assertFailure(
        error,
        'AlertMisconfigured',
        false,
        /^slack webhook answered 404: invalid_token for \/slack\/T000\/B000\/\*\*\*$/,
      ),
    );
  });

  test('a 429 is retried after the Retry-After it names', async () => {
    const alerts = activities();
    receiver.failNext(1, { status: 429, path: '/slack/', retryAfter: 7 });
    await assert.rejects(
      alerts.sendAlert({ incident: 'denials:ETH-USDT:1', text: 'denials above rate' }),
      (error) => {
        assertFailure(error, 'AlertNotDelivered', true, /^slack webhook answered 429$/);
        assert.equal((error as ApplicationFailure).nextRetryDelay, '7s');
        return true;
      },
    );
  });

  test('a channel over its alerts per minute records the incident as rate-limited and sends nothing', async () => {
    const alerts = activities(settings({ perMinute: 2 }));
    const results = [];
    for (const n of [1, 2, 3])
      results.push(await alerts.sendAlert({ incident: `storm:${n}`, text: `storm ${n}` }));
    assert.deepEqual(results, [
      { slack: 'sent', telegram: 'sent' },
      { slack: 'sent', telegram: 'sent' },
      { slack: 'rate-limited', telegram: 'rate-limited' },
    ]);
    assert.equal(delivered(slackPath).length, 2);
    assert.equal(delivered(telegramPath).length, 2);
    // Its retry stays dropped, and the limit holds for another worker process (another pool, same database).
    assert.deepEqual(await alerts.sendAlert({ incident: 'storm:3', text: 'storm 3' }), {
      slack: 'rate-limited',
      telegram: 'rate-limited',
    });
    const otherPool = await connectPool(database.url, { max: 2 });
    try {
      const other = createAlertActivities({ pool: otherPool, alerts: settings({ perMinute: 2 }) });
      assert.deepEqual(await other.sendAlert({ incident: 'storm:4', text: 'storm 4' }), {
        slack: 'rate-limited',
        telegram: 'rate-limited',
      });
    } finally {
      await otherPool.end();
    }
    assert.equal(receiver.received.length, 4);
  });

  test('channels not configured are off and nothing is sent', async () => {
    assert.deepEqual(
      await createAlertActivities({ pool: database.pool, alerts: undefined }).sendAlert({
        incident: 'off:1',
        text: 'nobody hears this',
      }),
      {
        slack: 'off',
        telegram: 'off',
      },
    );
    const slackOnly = settings({ telegramBotToken: undefined, telegramChatId: undefined });
    assert.deepEqual(await activities(slackOnly).sendAlert({ incident: 'off:2', text: 'slack only' }), {
      slack: 'sent',
      telegram: 'off',
    });
    assert.deepEqual(
      receiver.received.map((request) => request.path),
      [slackPath],
    );
  });

  test('concurrent calls for one incident send one message per channel', async () => {
    const alert = { incident: 'venue-restored:okx:1', text: 'okx connectivity restored' };
    const results = await Promise.all([1, 2, 3, 4].map(() => activities().sendAlert(alert)));
    for (const channel of ['slack', 'telegram'] as const)
      assert.deepEqual(results.map((result) => result[channel]).sort(), [
        'already-sent',
        'already-sent',
        'already-sent',
        'sent',
      ]);
    assert.equal(delivered(slackPath).length, 1);
    assert.equal(delivered(telegramPath).length, 1);
    assert.equal(receiver.received.length, 2);
  });

  test('a claim left by a dead attempt is sent again once its lease has run out', async () => {
    await database.pool.query(
      `INSERT INTO alerts (incident, channel, text, status, attempts, sending_until)
       VALUES ('dead:1', 'slack', 'x', 'sending', 1, now() - interval '1 second'),
              ('dead:1', 'telegram', 'x', 'sending', 1, now() + interval '1 second')`,
    );
    const started = Date.now();
    const alerts = activities();
    assert.deepEqual(await alerts.sendAlert({ incident: 'dead:1', text: 'x' }), {
      slack: 'sent',
      telegram: 'sent',
    });
    assert.ok(Date.now() - started >= 700, 'telegram waited for the live lease to run out');
    assert.equal(receiver.received.length, 2);
  });

  test('a malformed alert is refused, not retried', async () => {
    await assert.rejects(activities().sendAlert({ incident: '', text: 'x' }), (error) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'AlertInvalid');
      assert.equal(error.nonRetryable, true);
      return true;
    });
    assert.equal(receiver.received.length, 0);
  });
});

describe('alerts: settings from the environment', () => {
  test('defaults, and an empty variable counts as unset', () => {
    assert.deepEqual(alertSettingsFromEnv({ KEEL_SLACK_WEBHOOK_URL: '', KEEL_ALERTS_PER_MINUTE: '' }), {
      telegramApiUrl: 'https://api.telegram.org',
      perMinute: 20,
    });
    assert.deepEqual(
      alertSettingsFromEnv({
        KEEL_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
        KEEL_TELEGRAM_BOT_TOKEN: '123456:ABC-DEF_ghi',
        KEEL_TELEGRAM_CHAT_ID: '-1001234567890',
        KEEL_TELEGRAM_API_URL: 'http://127.0.0.1:8081',
        KEEL_ALERTS_PER_MINUTE: '5',
      }),
      {
        slackWebhookUrl: 'https://hooks.slack.com/services/T000/B000/XXXX',
        telegramBotToken: '123456:ABC-DEF_ghi',
        telegramChatId: '-1001234567890',
        telegramApiUrl: 'http://127.0.0.1:8081',
        perMinute: 5,
      },
    );
  });

  test('a bad value is refused with a message naming the variable, never the secret', () => {
    const refused = (env: NodeJS.ProcessEnv, variable: string) =>
      assert.throws(
        () => alertSettingsFromEnv(env),
        (error: Error) => {
          assert.match(error.message, /^bad alert settings: /);
          assert.ok(error.message.includes(variable), error.message);
          assert.ok(!error.message.includes('topsecretvalue'), `leaks the secret: ${error.message}`);
          return true;
        },
      );
    refused({ KEEL_ALERTS_PER_MINUTE: 'lots' }, 'KEEL_ALERTS_PER_MINUTE');
    refused({ KEEL_ALERTS_PER_MINUTE: '0' }, 'KEEL_ALERTS_PER_MINUTE');
    refused(
      { KEEL_SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T000/B000/topsecretvalue' },
      'KEEL_SLACK_WEBHOOK_URL',
    );
    refused({ KEEL_SLACK_WEBHOOK_URL: 'ftp://hooks.slack.com/topsecretvalue' }, 'KEEL_SLACK_WEBHOOK_URL');
    refused({ KEEL_TELEGRAM_API_URL: 'api.telegram.org' }, 'KEEL_TELEGRAM_API_URL');
    refused(
      { KEEL_TELEGRAM_BOT_TOKEN: 'topsecretvalue', KEEL_TELEGRAM_CHAT_ID: '-10042' },
      'KEEL_TELEGRAM_BOT_TOKEN',
    );
    refused({ KEEL_TELEGRAM_BOT_TOKEN: '123:topsecretvalue' }, 'KEEL_TELEGRAM_CHAT_ID');
    refused({ KEEL_TELEGRAM_CHAT_ID: '-10042' }, 'KEEL_TELEGRAM_BOT_TOKEN');
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/pool';

/**
 * Alerts to operators (breaker trips, kill switch, denials, venue connectivity, degraded strategies): one
 * Slack and one Telegram message per incident. The `alerts` table (migration 0006) dedupes per incident and
 * channel, so Temporal's retries and racing workers send once, and rate-limits each channel with the
 * database's clock, so the limit holds across worker processes. The webhook URL and the bot token are
 * secrets: they are never logged, never in an error message, never in an activity's input or result.
 */

// Any host, IP addresses and localhost included: a self-hosted Bot API server or a test's receiver.
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** The alert settings; `alertSettingsFromEnv` reads them from the environment. */
export const AlertSettingsSchema = z
  .object({
    /** Slack incoming webhook, https://hooks.slack.com/services/…; unset: no Slack alerts. */
    slackWebhookUrl: httpUrl.optional(),
    /** Telegram bot token, `123456:ABC…`; with `telegramChatId`, or no Telegram alerts. */
    telegramBotToken: z
      .string()
      .regex(/^\d+:[\w-]+$/, 'must look like 123456:ABC-DEF')
      .optional(),
    telegramChatId: z
      .string()
      .regex(/^(-?\d+|@\w+)$/, 'must be a numeric chat id or @channel')
      .optional(),
    /** Base URL of the Bot API: Telegram's own, or a local receiver in tests. */
    telegramApiUrl: httpUrl.default('https://api.telegram.org'),
    /** Alerts each channel may send in any minute; more are recorded as rate-limited and dropped. */
    perMinute: z.coerce
      .number('must be a whole number of at least 1')
      .int('must be a whole number of at least 1')
      .min(1, 'must be a whole number of at least 1')
      .default(20),
  })
  .refine((settings) => !settings.telegramBotToken || settings.telegramChatId, {
    path: ['telegramChatId'],
    message: 'is required with KEEL_TELEGRAM_BOT_TOKEN',
  })
  .refine((settings) => !settings.telegramChatId || settings.telegramBotToken, {
    path: ['telegramBotToken'],
    message: 'is required with KEEL_TELEGRAM_CHAT_ID',
  });

export type AlertSettings = z.output<typeof AlertSettingsSchema>;

const envNames = {
  slackWebhookUrl: 'KEEL_SLACK_WEBHOOK_URL',
  telegramBotToken: 'KEEL_TELEGRAM_BOT_TOKEN',
  telegramChatId: 'KEEL_TELEGRAM_CHAT_ID',
  telegramApiUrl: 'KEEL_TELEGRAM_API_URL',
  perMinute: 'KEEL_ALERTS_PER_MINUTE',
} as const;

/**
 * Reads the alert settings from the environment (an empty variable counts as unset). A bad one throws one
 * line naming every bad variable and what it must be, never its value: some of them are secrets.
 */
export function alertSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AlertSettings {
  const input = Object.fromEntries(
    Object.entries(envNames).flatMap(([key, name]) => (env[name] ? [[key, env[name]]] : [])),
  );
  const parsed = AlertSettingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${envNames[issue.path[0] as keyof typeof envNames]} ${issue.message}`,
  );
  throw new Error(`bad alert settings: ${problems.join('; ')}`);
}

/** Telegram's limit is 4096 characters; Slack's is far above. A longer alert is cut, not lost. */
const maxTextLength = 4000;

export const SendAlertInputSchema = z.object({
  /** What the alert is about, stable across retries: `breaker:BTC-USDT:2024-05-01T10:00Z`. */
  incident: z.string().min(1).max(500),
  text: z
    .string()
    .min(1)
    .transform((text) => {
      const chars = [...text];
      return chars.length <= maxTextLength ? text : `${chars.slice(0, maxTextLength - 1).join('')}…`;
    }),
});

export type SendAlertInput = z.input<typeof SendAlertInputSchema>;
type Alert = z.output<typeof SendAlertInputSchema>;

export type AlertChannel = 'slack' | 'telegram';
export type ChannelDelivery = 'sent' | 'already-sent' | 'rate-limited' | 'off';
export type AlertDelivery = Record<AlertChannel, ChannelDelivery>;

/** Where one channel's messages go. `url` holds a secret; `name` is what errors call it instead. */
interface Endpoint {
  channel: AlertChannel;
  name: string;
  url: string;
  body: (text: string) => Record<string, string>;
  /** Strings that must not leave this module in an error message (the endpoint's answer may echo them). */
  secrets: string[];
}

function endpointsOf(settings: AlertSettings | undefined): Endpoint[] {
  const endpoints: Endpoint[] = [];
  if (settings?.slackWebhookUrl) {
    const url = settings.slackWebhookUrl;
    endpoints.push({
      channel: 'slack',
      name: 'slack webhook',
      url,
      body: (text) => ({ text }),
      secrets: [url, ...new URL(url).pathname.split('/').filter((part) => part.length >= 6)],
    });
  }
  const { telegramBotToken: token, telegramChatId: chatId } = settings ?? {};
  if (settings && token && chatId) {
    endpoints.push({
      channel: 'telegram',
      name: 'telegram sendMessage',
      url: `${settings.telegramApiUrl.replace(/\/+$/, '')}/bot${token}/sendMessage`,
      body: (text) => ({ chat_id: chatId, text }),
      secrets: [token, token.slice(token.indexOf(':') + 1)],
    });
  }
  return endpoints;
}

export function createAlertActivities(deps: { pool: Pool; alerts: AlertSettings | undefined }) {
  const endpoints = endpointsOf(deps.alerts);
  const perMinute = deps.alerts?.perMinute ?? 20;
  return {
    /**
     * Sends the alert on every configured channel, once per incident. Throws when a channel could not
     * deliver: a retryable `AlertNotDelivered` (the retry sends only where it is still missing) or, when
     * the endpoint refuses the request itself (4xx other than 429), a non-retryable `AlertMisconfigured`.
     */
    async sendAlert(input: SendAlertInput): Promise<AlertDelivery> {
      const parsed = SendAlertInputSchema.safeParse(input);
      if (!parsed.success)
        throw ApplicationFailure.nonRetryable(`bad alert: ${z.prettifyError(parsed.error)}`, 'AlertInvalid');
      const delivery: AlertDelivery = { slack: 'off', telegram: 'off' };
      const outcomes = await Promise.allSettled(
        endpoints.map(async (endpoint) => {
          delivery[endpoint.channel] = await alertOnce(deps.pool, endpoint, parsed.data, perMinute);
        }),
      );
      const failures = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
      );
      // A channel that can be retried wins over a misconfigured one, so that its retry still happens.
      if (failures.length > 0) throw failures.find(isRetryable) ?? failures[0];
      return delivery;
    },
  };
}

function isRetryable(error: unknown): boolean {
  return !(error instanceof ApplicationFailure && error.nonRetryable);
}

async function alertOnce(
  pool: Pool,
  endpoint: Endpoint,
  alert: Alert,
  perMinute: number,
): Promise<Exclude<ChannelDelivery, 'off'>> {
  const status = await admit(pool, endpoint.channel, alert, perMinute);
  if (status === 'sent') return 'already-sent';
  if (status === 'rate-limited') return 'rate-limited';
  if (!(await takeLease(pool, endpoint.channel, alert.incident))) return 'already-sent';
  try {
    await post(endpoint, alert.text);
  } catch (error) {
    await release(pool, endpoint.channel, alert.incident, 'sending');
    throw error;
  }
  await release(pool, endpoint.channel, alert.incident, 'sent');
  return 'sent';
}

/** First key of the per-channel admission lock (two-key advisory locks: apart from migrate.ts's one-key lock). */
const admissionLock = 6006;

/**
 * Records the incident on the channel once and returns its row's status. A new incident is admitted
 * ('sending') unless the channel already admitted `perMinute` alerts in the last minute, on PostgreSQL's
 * clock. It counts admissions, not deliveries: under a per-channel lock, so that racing workers cannot
 * both take the last place, and held only for this short transaction, never across a request.
 */
async function admit(
  pool: Pool,
  channel: AlertChannel,
  alert: Alert,
  perMinute: number,
): Promise<'sending' | 'sent' | 'rate-limited'> {
  type Row = { status: 'sending' | 'sent' | 'rate-limited' };
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [admissionLock, channel]);
    const { rows: recent } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM alerts
        WHERE channel = $1 AND created_at > now() - interval '1 minute' AND status <> 'rate-limited'`,
      [channel],
    );
    const status = (recent[0]?.n ?? 0) >= perMinute ? 'rate-limited' : 'sending';
    const { rows: claimed } = await client.query<Row>(
      `INSERT INTO alerts (incident, channel, text, status) VALUES ($1, $2, $3, $4)
       ON CONFLICT (incident, channel) DO NOTHING RETURNING status`,
      [alert.incident, channel, alert.text, status],
    );
    const { rows: existing } = claimed.length
      ? { rows: claimed }
      : await client.query<Row>('SELECT status FROM alerts WHERE incident = $1 AND channel = $2', [
          alert.incident,
          channel,
        ]);
    return existing[0]?.status ?? status;
  });
}

/** How long an attempt may take before another one may send: the request's timeout plus a margin. */
const sendTimeoutMs = 5_000;
const leaseSeconds = 15;

/**
 * Waits until this attempt may send: the row is still 'sending' and no live attempt is sending it.
 * Returns false when another attempt delivered it meanwhile. An attempt whose worker died leaves its
 * lease to run out, and then the alert is sent again: the dead attempt may have delivered it already, but
 * a chat message twice in that rare case beats an alert lost, and under ordinary retries (the endpoint
 * failing, or a retry after success) the receiver still gets exactly one message per incident.
 */
async function takeLease(pool: Pool, channel: AlertChannel, incident: string): Promise<boolean> {
  for (;;) {
    const { rows } = await pool.query<{ status: string; leased: boolean }>(
      `WITH taken AS (
         UPDATE alerts SET attempts = attempts + 1, sending_until = now() + make_interval(secs => $3),
                           updated_at = now()
          WHERE incident = $1 AND channel = $2 AND status = 'sending'
            AND (sending_until IS NULL OR sending_until < now())
          RETURNING status)
       SELECT status, true AS leased FROM taken
       UNION ALL
       SELECT status, false FROM alerts WHERE incident = $1 AND channel = $2 AND NOT EXISTS (SELECT FROM taken)`,
      [incident, channel, leaseSeconds],
    );
    const row = rows[0];
    if (row?.leased) return true;
    if (row?.status !== 'sending') return false;
    await sleep(200);
  }
}

/** Ends this attempt's lease: 'sent' when the endpoint accepted the message, else 'sending' for a retry. */
async function release(pool: Pool, channel: AlertChannel, incident: string, status: 'sending' | 'sent') {
  await pool.query(
    `UPDATE alerts SET status = $3, sending_until = NULL, updated_at = now()
      WHERE incident = $1 AND channel = $2`,
    [incident, channel, status],
  );
}

/** One POST of the message. Errors name the endpoint, its answer's status and at most a redacted excerpt. */
async function post(endpoint: Endpoint, text: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(endpoint.body(text)),
      signal: AbortSignal.timeout(sendTimeoutMs),
    });
  } catch (error) {
    // Not the error itself: its message or cause may carry the URL.
    throw ApplicationFailure.retryable(
      `${endpoint.name} unreachable (${reasonOf(error)})`,
      'AlertNotDelivered',
    );
  }
  const answer = await response.text().catch(() => '');
  if (response.ok) return;
  if (response.status >= 400 && response.status < 500 && response.status !== 429)
    throw ApplicationFailure.nonRetryable(
      `${endpoint.name} answered ${response.status}: ${redact(answer, endpoint.secrets)}`,
      'AlertMisconfigured',
    );
  const retryAfter = Number(response.headers.get('retry-after'));
  throw ApplicationFailure.create({
    message: `${endpoint.name} answered ${response.status}`,
    type: 'AlertNotDelivered',
    // A 429 says when to come back; otherwise the activity's retry policy decides.
    nextRetryDelay: response.status === 429 && retryAfter > 0 ? `${retryAfter}s` : undefined,
  });
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer in ${sendTimeoutMs} ms`;
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'failed';
}

/** The endpoint's answer, secrets blanked out before it is cut (a cut secret would slip through). */
function redact(answer: string, secrets: string[]): string {
  const redacted = secrets.reduce((text, secret) => text.split(secret).join('***'), answer);
  return redacted.replace(/\s+/g, ' ').trim().slice(0, 200) || '(empty answer)';
}

-- Alerts sent to operators (Slack, Telegram): one row per incident and channel, so an activity retried by
-- Temporal, or two workers alerting on the same incident, send it once. The row is claimed before the
-- request goes out and marked sent after the endpoint accepted it.
CREATE TABLE alerts (
  incident       TEXT NOT NULL,
  channel        TEXT NOT NULL CHECK (channel IN ('slack', 'telegram')),
  text           TEXT NOT NULL,
  -- sending: claimed, not yet accepted by the endpoint (in flight, failed, or its worker died).
  -- sent: the endpoint accepted it. rate-limited: dropped, the channel had its fill for the minute.
  status         TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'rate-limited')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  -- Set while an attempt is sending: no other attempt sends until the endpoint has answered (the attempt
  -- then clears it) or, when that attempt's worker died, until it runs out. No connection is held meanwhile.
  sending_until  TIMESTAMPTZ,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (incident, channel)
);
-- The rate limit counts a channel's alerts of the last minute at every new incident.
CREATE INDEX alerts_by_channel ON alerts (channel, created_at);

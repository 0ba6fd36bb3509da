-- What each worker found when it checked a configured venue account at start-up (a cheap authenticated
-- read): the API refuses symbols on an account whose credentials the venue refused, and /status shows it.
CREATE TABLE venue_accounts (
  venue      TEXT NOT NULL,
  account    TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('ok', 'bad-credentials', 'unreachable', 'error')),
  detail     TEXT NOT NULL,
  -- The request budget the worker's client keeps to for this account (e.g. ccxt's throttle).
  rate_limit TEXT NOT NULL DEFAULT '',
  checked_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (venue, account)
);

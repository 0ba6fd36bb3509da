-- Each worker's private order stream per account and venue market: up or down, since when, and why it
-- last ended. Rows of workers no longer polling are left behind; the API shows only live workers' rows.
CREATE TABLE venue_order_streams (
  venue      TEXT NOT NULL,
  market     TEXT NOT NULL,
  account    TEXT NOT NULL,
  -- The worker's Temporal identity, as the task queue's pollers name it.
  worker     TEXT NOT NULL,
  live       BOOLEAN NOT NULL,
  detail     TEXT NOT NULL,
  changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (venue, market, account, worker)
);

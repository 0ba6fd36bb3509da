-- Funding the venues settled on Keel's perp positions (issue #15), as the account workflow read them: one
-- row per payment, named by the venue's id (or symbol and settlement time where it gives none), so a
-- payment read twice is stored once. Signed from the account's view: positive received, negative paid.
CREATE TABLE funding_payments (
  venue       TEXT NOT NULL,
  account     TEXT NOT NULL,
  payment_id  TEXT NOT NULL,
  symbol      TEXT NOT NULL,
  settled_at  TIMESTAMPTZ NOT NULL,
  amount      NUMERIC NOT NULL,
  asset       TEXT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (venue, account, payment_id)
);
CREATE INDEX funding_payments_by_symbol ON funding_payments (venue, account, symbol, settled_at);

-- The account workflow's reconciliations (issue #15): what one account on one venue held when it was last
-- read — balances per market, perp positions, the funding rates of the perps in use — and where the venue's
-- positions differed from what Keel's own fills add up to (a close on the venue's site, a liquidation).
CREATE TABLE account_snapshots (
  id            BIGSERIAL PRIMARY KEY,
  venue         TEXT NOT NULL,
  account       TEXT NOT NULL,
  taken_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  balances      JSONB NOT NULL,
  positions     JSONB NOT NULL,
  funding       JSONB NOT NULL,
  discrepancies JSONB NOT NULL
);
CREATE INDEX account_snapshots_latest ON account_snapshots (venue, account, taken_at DESC);

-- Backtest runs of the signal strategy (issue #17, scripts/backtest.ts): a capture replayed into a paper
-- venue, the strategy trading it through the real workflows and the ledger, and the run's report.
CREATE TABLE backtest_runs (
  id           TEXT PRIMARY KEY,
  capture      TEXT NOT NULL,
  symbol       TEXT NOT NULL,
  market       TEXT NOT NULL,
  speed        DOUBLE PRECISION NOT NULL,
  -- The signal strategy's params as given, and the symbol workflow whose orders the ledger holds.
  params       JSONB NOT NULL,
  workflow_id  TEXT NOT NULL,
  started_at   TIMESTAMPTZ NOT NULL,
  finished_at  TIMESTAMPTZ NOT NULL,
  report       JSONB NOT NULL
);
CREATE INDEX backtest_runs_recent ON backtest_runs (finished_at DESC);

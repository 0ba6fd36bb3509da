-- Each arbitrage a symbol ran to the end (issue #15): where its two legs traded, the spreads it entered
-- and exited at, its fills, fees, funding and PnL, and the client order ids of every leg order (the
-- orders themselves are in ledger_orders). Named by its first order's client order id, unique for the
-- life of the symbol chain, so a workflow that records it again after a retry stores it once.
CREATE TABLE arbitrages (
  id               TEXT PRIMARY KEY,
  symbol           TEXT NOT NULL,
  strategy         TEXT NOT NULL,
  kind             TEXT NOT NULL,
  outcome          TEXT NOT NULL,
  legs             JSONB NOT NULL,
  entry_spread_bps DOUBLE PRECISION NOT NULL,
  exit_spread_bps  DOUBLE PRECISION,
  gross_pnl        NUMERIC NOT NULL,
  fees             NUMERIC NOT NULL,
  funding          NUMERIC NOT NULL,
  net_pnl          NUMERIC NOT NULL,
  client_order_ids TEXT[] NOT NULL,
  opened_at        TIMESTAMPTZ NOT NULL,
  closed_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX arbitrages_by_symbol ON arbitrages (symbol, closed_at DESC);

-- Performance history (issue #16; seed 003's performance_metrics and strategy_snapshots): each symbol and
-- strategy's position, PnL, fees and volume, taken every snapshot interval from the ledger's fills.
--
-- performance_books holds each (symbol, strategy)'s running totals up to performance_cursor's fill id, so a
-- snapshot folds in only the fills since the last one. performance_snapshots is the history the dashboard
-- and the CSV export read, one row per (symbol, strategy) per snapshot time.
CREATE TABLE performance_cursor (
  only_row     BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
  last_fill_id BIGINT NOT NULL
);
INSERT INTO performance_cursor (last_fill_id) VALUES (0);

CREATE TABLE performance_books (
  symbol        TEXT NOT NULL,
  strategy      TEXT NOT NULL,
  position      NUMERIC NOT NULL,
  average_price NUMERIC NOT NULL,
  realized_pnl  NUMERIC NOT NULL,
  -- Quote currency: fees charged in the base asset are valued at their order's average price; fees in any
  -- other asset (a venue's own token) are not in it.
  fees          NUMERIC NOT NULL,
  volume        NUMERIC NOT NULL,
  fills         INTEGER NOT NULL,
  last_price    NUMERIC NOT NULL,
  PRIMARY KEY (symbol, strategy)
);

CREATE TABLE performance_snapshots (
  taken_at       TIMESTAMPTZ NOT NULL,
  symbol         TEXT NOT NULL,
  strategy       TEXT NOT NULL,
  position       NUMERIC NOT NULL,
  average_price  NUMERIC NOT NULL,
  -- The price unrealized PnL is marked at: the book's last fill.
  mark_price     NUMERIC NOT NULL,
  realized_pnl   NUMERIC NOT NULL,
  unrealized_pnl NUMERIC NOT NULL,
  fees           NUMERIC NOT NULL,
  volume         NUMERIC NOT NULL,
  fills          INTEGER NOT NULL,
  PRIMARY KEY (symbol, strategy, taken_at)
);
CREATE INDEX performance_snapshots_by_time ON performance_snapshots (taken_at);

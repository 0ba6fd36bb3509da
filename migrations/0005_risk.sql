-- The risk engine's durable state. Everything a pre-trade check reads is here, in the database every
-- worker process shares, so a limit or a halt holds across processes and restarts.

-- Account and global limits (symbol limits travel with the symbol's configuration). `limits` holds the
-- optional fields of domain/risk.ts RiskLimitsSchema.
CREATE TABLE risk_limits (
  scope      TEXT NOT NULL CHECK (scope IN ('global', 'account')),
  scope_key  TEXT NOT NULL,
  limits     JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, scope_key)
);

-- Trading states that are not ACTIVE, one row per (scope, who set it): an operator's REDUCING and a
-- breaker's HALTED on the same venue are separate rows, and the strictest wins. The kill switch is the
-- global row with source 'kill-switch'.
CREATE TABLE trading_states (
  scope      TEXT NOT NULL CHECK (scope IN ('global', 'venue', 'account', 'symbol')),
  scope_key  TEXT NOT NULL,
  source     TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('REDUCING', 'HALTED')),
  reason     TEXT NOT NULL,
  actor      TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, scope_key, source)
);

-- Every change of a state, a limit or the kill switch: who or what, why, before and after.
CREATE TABLE risk_changes (
  id        BIGSERIAL PRIMARY KEY,
  at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  kind      TEXT NOT NULL CHECK (kind IN ('state', 'limits', 'kill-switch')),
  scope     TEXT NOT NULL,
  scope_key TEXT NOT NULL,
  source    TEXT NOT NULL,
  actor     TEXT NOT NULL,
  reason    TEXT NOT NULL,
  before    JSONB,
  after     JSONB
);

CREATE TABLE kill_switch_incidents (
  incident   TEXT PRIMARY KEY,
  engaged_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  engaged_by TEXT NOT NULL,
  reason     TEXT NOT NULL,
  lifted_at  TIMESTAMPTZ,
  lifted_by  TEXT,
  report     JSONB
);

-- denial_rule: the rule that denied the order (the numbers are in `denial`).
-- landed_at: when the venue first acknowledged the order, so that the kill switch can tell an order that
-- was in flight when it engaged (landed after) from one that rested before.
-- kill_switch / kill_outcome: which kill switch handled the order and what became of it.
ALTER TABLE ledger_orders
  ADD COLUMN denial_rule TEXT,
  ADD COLUMN landed_at TIMESTAMPTZ,
  ADD COLUMN kill_switch TEXT,
  ADD COLUMN kill_outcome TEXT CHECK (kill_outcome IN ('denied-before-send', 'cancelled-resting',
                                                       'cancelled-after-landing', 'closed-before-cancel',
                                                       'never-landed'));
UPDATE ledger_orders SET landed_at = updated_at
WHERE status NOT IN ('intent', 'sending', 'unknown', 'abandoned', 'denied');

-- The orders-per-second limit counts an account's recent orders at every placement.
CREATE INDEX ledger_orders_by_account_time ON ledger_orders (venue, account, created_at);
CREATE INDEX ledger_orders_live_by_account ON ledger_orders (venue, account)
  WHERE status IN ('intent', 'sending', 'unknown', 'open', 'partially-filled');

-- Net position per account and symbol, kept with every fill, so the position and exposure limits read one
-- row per symbol instead of folding the whole fill history at every order.
CREATE TABLE ledger_positions (
  venue      TEXT NOT NULL,
  market     TEXT NOT NULL,
  account    TEXT NOT NULL,
  symbol     TEXT NOT NULL,
  quantity   NUMERIC NOT NULL DEFAULT 0,
  last_price NUMERIC NOT NULL,
  PRIMARY KEY (venue, market, account, symbol)
);
INSERT INTO ledger_positions (venue, market, account, symbol, quantity, last_price)
SELECT o.venue, o.market, o.account, o.symbol,
       sum(CASE WHEN f.side = 'buy' THEN f.quantity ELSE -f.quantity END),
       (array_agg(f.price ORDER BY f.id DESC))[1]
FROM ledger_fills f JOIN ledger_orders o USING (client_order_id)
GROUP BY o.venue, o.market, o.account, o.symbol;

-- Connector calls as the breakers see them: round trip and outcome, written in batches by each worker.
CREATE TABLE venue_calls (
  venue TEXT NOT NULL,
  op    TEXT NOT NULL,
  at    TIMESTAMPTZ NOT NULL,
  ms    DOUBLE PRECISION NOT NULL,
  ok    BOOLEAN NOT NULL
);
CREATE INDEX venue_calls_by_time ON venue_calls (at);

-- Realized + unrealized PnL, sampled by the drawdown breaker.
CREATE TABLE pnl_samples (
  at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  pnl NUMERIC NOT NULL
);
CREATE INDEX pnl_samples_by_time ON pnl_samples (at);

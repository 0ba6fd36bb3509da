-- The order ledger: every order Keel means to place is recorded here *before* it is sent, so that after
-- any crash the intent is known and the venue can be asked what became of it.
CREATE TABLE ledger_orders (
  client_order_id   TEXT PRIMARY KEY,
  venue             TEXT NOT NULL,
  market            TEXT NOT NULL CHECK (market IN ('spot', 'perp')),
  account           TEXT NOT NULL,
  symbol            TEXT NOT NULL,
  strategy          TEXT NOT NULL,
  workflow_id       TEXT NOT NULL,
  side              TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  order_type        TEXT NOT NULL CHECK (order_type IN ('limit', 'market')),
  price             NUMERIC,
  quantity          NUMERIC NOT NULL CHECK (quantity > 0),
  -- intent: recorded, never sent. sending: a request is on its way (sent_at set).
  -- unknown: a request went out and its outcome is not known yet; only a lookup on the venue settles it.
  -- open/partially-filled/filled/canceled/expired/rejected: what the venue says.
  status            TEXT NOT NULL CHECK (status IN ('intent', 'sending', 'unknown', 'open', 'partially-filled',
                                                    'filled', 'canceled', 'expired', 'rejected')),
  venue_order_id    TEXT,
  filled_quantity   NUMERIC NOT NULL DEFAULT 0,
  average_price     NUMERIC,
  fee               NUMERIC NOT NULL DEFAULT 0,
  fee_asset         TEXT,
  rejection         TEXT,
  send_attempts     INTEGER NOT NULL DEFAULT 0,
  sent_at           TIMESTAMPTZ,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ledger_orders_by_symbol ON ledger_orders (symbol, strategy, created_at);
CREATE INDEX ledger_orders_unsettled ON ledger_orders (status) WHERE status IN ('intent', 'sending', 'unknown');

-- Fills as increments of an order's cumulative filled quantity: (order, cumulative) is unique, so a
-- repeated report of the same fill is a no-op.
CREATE TABLE ledger_fills (
  id                  BIGSERIAL PRIMARY KEY,
  client_order_id     TEXT NOT NULL REFERENCES ledger_orders (client_order_id),
  symbol              TEXT NOT NULL,
  strategy            TEXT NOT NULL,
  side                TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity            NUMERIC NOT NULL CHECK (quantity > 0),
  price               NUMERIC NOT NULL,
  cumulative_quantity NUMERIC NOT NULL,
  recorded_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (client_order_id, cumulative_quantity)
);
CREATE INDEX ledger_fills_by_symbol ON ledger_fills (symbol, strategy, recorded_at);

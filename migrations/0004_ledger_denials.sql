-- denied: Keel's own limits refused the order before anything was sent; `denial` names the rule and the
-- numbers. Such an order never reaches a venue and its client order id is never used again.
ALTER TABLE ledger_orders DROP CONSTRAINT ledger_orders_status_check;
ALTER TABLE ledger_orders ADD CONSTRAINT ledger_orders_status_check
  CHECK (status IN ('intent', 'sending', 'unknown', 'abandoned', 'denied', 'open', 'partially-filled', 'filled',
                    'canceled', 'expired', 'rejected'));
ALTER TABLE ledger_orders ADD COLUMN denial TEXT;
-- The limits count a symbol's live orders at every placement.
CREATE INDEX ledger_orders_live_by_workflow ON ledger_orders (workflow_id)
  WHERE status IN ('intent', 'sending', 'unknown', 'open', 'partially-filled');

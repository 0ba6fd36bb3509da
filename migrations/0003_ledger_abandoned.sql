-- abandoned: Keel recorded the intent (or even sent it), the venue has proven it never got the order,
-- and nothing will send it again: a reconcile found it no longer tracked by any strategy.
ALTER TABLE ledger_orders DROP CONSTRAINT ledger_orders_status_check;
ALTER TABLE ledger_orders ADD CONSTRAINT ledger_orders_status_check
  CHECK (status IN ('intent', 'sending', 'unknown', 'abandoned', 'open', 'partially-filled', 'filled',
                    'canceled', 'expired', 'rejected'));

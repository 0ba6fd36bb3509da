-- Each book (venue, market, account, symbol) keeps the totals of its live orders beside its position, in
-- step with every write to ledger_orders (a trigger, so no writer can forget), and its worst-case
-- exposure as a generated column. The position and exposure limits then read one row per book, never
-- every live order of the account, at each placement.
ALTER TABLE ledger_positions
  ALTER COLUMN quantity SET DEFAULT 0,
  -- The last fill's price: none yet for a book that only has orders.
  ALTER COLUMN last_price DROP NOT NULL,
  ADD COLUMN open_buy NUMERIC NOT NULL DEFAULT 0,
  ADD COLUMN open_sell NUMERIC NOT NULL DEFAULT 0,
  -- The highest limit price among the live orders: the mark until a fill gives one.
  ADD COLUMN top_open_price NUMERIC;

ALTER TABLE ledger_positions
  ADD COLUMN exposure NUMERIC GENERATED ALWAYS AS (
    greatest(abs(quantity + open_buy), abs(quantity - open_sell)) * COALESCE(last_price, top_open_price, 0)
  ) STORED;

CREATE INDEX ledger_positions_by_account ON ledger_positions (venue, account);

-- Live orders by book: the top price is looked up again when the order at it leaves.
DROP INDEX ledger_orders_live_by_account;
CREATE INDEX ledger_orders_live_by_book ON ledger_orders (venue, account, symbol, market)
  WHERE status IN ('intent', 'sending', 'unknown', 'open', 'partially-filled');

CREATE FUNCTION ledger_book_keeping() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  live CONSTANT TEXT[] := ARRAY['intent', 'sending', 'unknown', 'open', 'partially-filled'];
  was_live BOOLEAN := false;
  is_live BOOLEAN := false;
  top_moved BOOLEAN := false;
BEGIN
  IF TG_OP <> 'INSERT' THEN was_live := OLD.status = ANY(live); END IF;
  IF TG_OP <> 'DELETE' THEN is_live := NEW.status = ANY(live); END IF;
  IF was_live AND OLD.price IS NOT NULL THEN
    top_moved := NOT is_live;
    IF is_live THEN top_moved := NEW.price IS DISTINCT FROM OLD.price; END IF;
  END IF;
  IF was_live THEN
    UPDATE ledger_positions SET
      open_buy = open_buy - CASE WHEN OLD.side = 'buy' THEN OLD.quantity - OLD.filled_quantity ELSE 0 END,
      open_sell = open_sell - CASE WHEN OLD.side = 'sell' THEN OLD.quantity - OLD.filled_quantity ELSE 0 END
    WHERE venue = OLD.venue AND market = OLD.market AND account = OLD.account AND symbol = OLD.symbol;
  END IF;
  IF is_live THEN
    INSERT INTO ledger_positions AS p (venue, market, account, symbol, open_buy, open_sell, top_open_price)
    VALUES (NEW.venue, NEW.market, NEW.account, NEW.symbol,
            CASE WHEN NEW.side = 'buy' THEN NEW.quantity - NEW.filled_quantity ELSE 0 END,
            CASE WHEN NEW.side = 'sell' THEN NEW.quantity - NEW.filled_quantity ELSE 0 END,
            NEW.price)
    ON CONFLICT (venue, market, account, symbol) DO UPDATE SET
      open_buy = p.open_buy + EXCLUDED.open_buy,
      open_sell = p.open_sell + EXCLUDED.open_sell,
      top_open_price = greatest(p.top_open_price, EXCLUDED.top_open_price);
  END IF;
  -- The order that set the top price left (or moved): find the top among the orders still live.
  IF top_moved THEN
    UPDATE ledger_positions SET top_open_price = (
      SELECT max(price) FROM ledger_orders
      WHERE venue = OLD.venue AND account = OLD.account AND symbol = OLD.symbol AND market = OLD.market
        AND status = ANY(live))
    WHERE venue = OLD.venue AND market = OLD.market AND account = OLD.account AND symbol = OLD.symbol
      AND top_open_price <= OLD.price;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_books_on_write AFTER INSERT OR DELETE ON ledger_orders
  FOR EACH ROW EXECUTE FUNCTION ledger_book_keeping();
CREATE TRIGGER ledger_books_on_change AFTER UPDATE ON ledger_orders
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                     OR OLD.quantity IS DISTINCT FROM NEW.quantity
                     OR OLD.filled_quantity IS DISTINCT FROM NEW.filled_quantity
                     OR OLD.price IS DISTINCT FROM NEW.price)
  EXECUTE FUNCTION ledger_book_keeping();

-- The books as the orders stand now.
INSERT INTO ledger_positions AS p (venue, market, account, symbol, open_buy, open_sell, top_open_price)
SELECT venue, market, account, symbol,
       COALESCE(sum(quantity - filled_quantity) FILTER (WHERE side = 'buy'), 0),
       COALESCE(sum(quantity - filled_quantity) FILTER (WHERE side = 'sell'), 0),
       max(price)
FROM ledger_orders WHERE status IN ('intent', 'sending', 'unknown', 'open', 'partially-filled')
GROUP BY venue, market, account, symbol
ON CONFLICT (venue, market, account, symbol) DO UPDATE SET
  open_buy = EXCLUDED.open_buy, open_sell = EXCLUDED.open_sell, top_open_price = EXCLUDED.top_open_price;

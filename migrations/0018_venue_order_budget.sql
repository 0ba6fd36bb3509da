-- Each venue's order budget for the whole fleet (issue #18, db/venue-order-budget.ts): a token bucket on
-- PostgreSQL's clock that every worker takes one token from per order it sends, whether the order comes
-- from an activity on the venue's task queue or from a watch replacing a fill.
CREATE TABLE venue_order_budget (
  -- The venue's task queue, so each deployment (keel@binance, a backtest's) has its own.
  name         TEXT PRIMARY KEY,
  -- Tokens left when last taken; below zero: orders reserved ahead, each waiting for its turn.
  tokens       DOUBLE PRECISION NOT NULL,
  refilled_at  TIMESTAMPTZ NOT NULL
);

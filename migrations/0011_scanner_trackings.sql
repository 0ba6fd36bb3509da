-- The scanner's trackings (issue #14): one row per tracker workflow run, its samples and the slots it
-- could not sample. Samples never enter workflow history; they live here, written in batches by the
-- tracker's heartbeating activity (activities/scanner-tracking.ts).
CREATE TABLE scanner_trackings (
  -- `<workflow id>/<run id>`: the workflow id names the (symbol, direction), the run id this tracking.
  id          TEXT PRIMARY KEY,
  symbol      TEXT NOT NULL,
  direction   TEXT NOT NULL,
  opened_at   TIMESTAMPTZ NOT NULL,
  -- The spread that opened it, and the exit threshold it was tracked against, in basis points.
  entry_bps   DOUBLE PRECISION NOT NULL,
  exit_bps    DOUBLE PRECISION NOT NULL,
  interval_ms INTEGER NOT NULL CHECK (interval_ms > 0),
  closed_at   TIMESTAMPTZ,
  outcome     TEXT CHECK (outcome IN ('CONVERGED', 'EXPIRED', 'FEED_DOWN')),
  -- Filled in at close: samples written, and slots missed (the sum of scanner_gaps.missed).
  samples     INTEGER,
  gaps        INTEGER,
  CHECK ((closed_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX scanner_trackings_symbol_direction ON scanner_trackings (symbol, direction, opened_at DESC);
CREATE INDEX scanner_trackings_open ON scanner_trackings (opened_at) WHERE closed_at IS NULL;

-- Sample `seq` was due at opened_at + seq × interval_ms; `at` is when it was read.
CREATE TABLE scanner_samples (
  tracking_id TEXT NOT NULL REFERENCES scanner_trackings (id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL CHECK (seq >= 0),
  at          TIMESTAMPTZ NOT NULL,
  spot_bid    NUMERIC NOT NULL,
  spot_ask    NUMERIC NOT NULL,
  perp_bid    NUMERIC NOT NULL,
  perp_ask    NUMERIC NOT NULL,
  spread_bps  DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (tracking_id, seq)
);

-- Slots from_seq..to_seq (inclusive) hold no sample: the sampler was late (`late`), a leg could not be
-- read (`feed`), or a worker died and its unwritten samples were lost (`restart`). Every slot of a tracking
-- is a sample or inside exactly one gap.
CREATE TABLE scanner_gaps (
  tracking_id TEXT NOT NULL REFERENCES scanner_trackings (id) ON DELETE CASCADE,
  from_seq    INTEGER NOT NULL CHECK (from_seq >= 0),
  to_seq      INTEGER NOT NULL,
  from_at     TIMESTAMPTZ NOT NULL,
  to_at       TIMESTAMPTZ NOT NULL,
  missed      INTEGER NOT NULL CHECK (missed = to_seq - from_seq + 1),
  reason      TEXT NOT NULL CHECK (reason IN ('late', 'feed', 'restart')),
  PRIMARY KEY (tracking_id, from_seq),
  CHECK (to_seq >= from_seq)
);

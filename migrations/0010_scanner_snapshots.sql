-- The spread scanner's pair discovery (docs/scanner.md): one row per usable discovery result, versioned
-- 1, 2, 3, … in the order they were saved; the latest version is the one in force. A run that did not
-- reach its quorum writes nothing, so the previous version stays in force.
CREATE TABLE scanner_snapshots (
  version        INTEGER PRIMARY KEY CHECK (version > 0),
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  workflow_id    TEXT NOT NULL,
  -- The discovery workflow run that saved it: a retried save of the same run finds its version here.
  run_id         TEXT NOT NULL UNIQUE,
  -- The version the diff is against (NULL for the first snapshot).
  based_on       INTEGER REFERENCES scanner_snapshots (version),
  settings       JSONB NOT NULL,
  counts         JSONB NOT NULL,
  -- Per source: answered or failed (and why), instruments listed, trading, taken.
  sources        JSONB NOT NULL,
  failed_sources JSONB NOT NULL,
  -- 'run' or 'not_run' (no reference mids given: only the denylist applied).
  price_check    TEXT NOT NULL CHECK (price_check IN ('run', 'not_run')),
  held_out       JSONB NOT NULL,
  unchecked      JSONB NOT NULL,
  rejected       JSONB NOT NULL,
  diff           JSONB NOT NULL
);

-- The snapshot's symbols; a symbol's id is its index in the sorted list, so ids are per version.
CREATE TABLE scanner_snapshot_symbols (
  version   INTEGER NOT NULL REFERENCES scanner_snapshots (version) ON DELETE CASCADE,
  symbol_id INTEGER NOT NULL CHECK (symbol_id >= 0),
  symbol    TEXT NOT NULL,
  PRIMARY KEY (version, symbol_id),
  UNIQUE (version, symbol)
);

-- One symbol on one source (venue × market): the venue's own name for it and the order path's filters.
CREATE TABLE scanner_snapshot_listings (
  version      INTEGER NOT NULL,
  source       TEXT NOT NULL,
  symbol_id    INTEGER NOT NULL,
  venue_symbol TEXT NOT NULL,
  tick_size    NUMERIC NOT NULL,
  lot_size     NUMERIC NOT NULL,
  min_qty      NUMERIC NOT NULL,
  max_qty      NUMERIC,
  min_notional NUMERIC NOT NULL,
  PRIMARY KEY (version, source, symbol_id),
  UNIQUE (version, source, venue_symbol),
  FOREIGN KEY (version, symbol_id) REFERENCES scanner_snapshot_symbols (version, symbol_id) ON DELETE CASCADE
);

-- The pairs the scanner watches: a symbol on a direction (spot on one venue, perp on another), after the
-- denylist and price screen (held-out pairs are in scanner_snapshots.held_out).
CREATE TABLE scanner_snapshot_pairs (
  version      INTEGER NOT NULL,
  direction_id SMALLINT NOT NULL CHECK (direction_id BETWEEN 0 AND 11),
  direction    TEXT NOT NULL,
  symbol_id    INTEGER NOT NULL,
  PRIMARY KEY (version, direction_id, symbol_id),
  FOREIGN KEY (version, symbol_id) REFERENCES scanner_snapshot_symbols (version, symbol_id) ON DELETE CASCADE
);

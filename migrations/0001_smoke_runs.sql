-- Rows written by the smoke workflow: proof that worker, activity and Postgres are wired together.
CREATE TABLE smoke_runs (
  id           BIGSERIAL PRIMARY KEY,
  workflow_id  TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  symbol       TEXT NOT NULL,
  note         TEXT NOT NULL,
  recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- An activity retried after a lost response must not write a second row.
  UNIQUE (workflow_id, run_id)
);

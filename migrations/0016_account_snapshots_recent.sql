-- The live feed reads each account's latest snapshot of the last minutes (api/live/status-sources.ts).
CREATE INDEX account_snapshots_recent ON account_snapshots (taken_at);

-- Reads that run every few seconds: the live feed's latest account snapshots (api/live/status-sources.ts),
-- and the metrics' count of circuit-breaker trips at each scrape (metrics/state-metrics.ts).
CREATE INDEX account_snapshots_recent ON account_snapshots (taken_at);
CREATE INDEX risk_changes_breakers ON risk_changes (source) WHERE kind = 'state' AND source LIKE 'breaker:%';

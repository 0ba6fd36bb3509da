import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The process's own metrics (the order path's counters and latencies, venue calls, the Node process):
 * one registry per process, filled by whatever runs in it (worker, API, or both under `npm start`).
 */
export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

import type { Pool } from 'pg';
import { takePerformanceSnapshot } from '../db/performance';

export function createPerformanceActivities({ pool }: { pool: Pool }) {
  return {
    /** The performance snapshot at `takenAt` (ISO 8601); a retry records nothing twice. */
    takePerformanceSnapshot: (takenAt: string) => takePerformanceSnapshot(pool, new Date(takenAt)),
  };
}

import type { Pool } from 'pg';

export interface SmokeRun {
  workflowId: string;
  runId: string;
  symbol: string;
  note: string;
}

export function createSmokeActivities({ pool }: { pool: Pool }) {
  return {
    /** Inserts the run's row once; a retry after a lost response returns the same row. */
    async recordSmokeRun(run: SmokeRun): Promise<string> {
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO smoke_runs (workflow_id, run_id, symbol, note) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workflow_id, run_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id
         RETURNING id`,
        [run.workflowId, run.runId, run.symbol, run.note],
      );
      const row = rows[0];
      if (!row) throw new Error('smoke_runs insert returned no row');
      return row.id;
    },
  };
}

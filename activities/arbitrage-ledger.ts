import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { ArbitrageRecordSchema, saveArbitrage, type ArbitrageRecord } from '../db/arbitrages';

/** The arbitrage strategy's ledger of finished arbitrages (the orders are in the order ledger already). */
export function createArbitrageLedgerActivities(deps: { pool: Pool }) {
  return {
    /** Stores a finished arbitrage once (a retry finds it stored); a malformed record is not retried. */
    async recordArbitrage(record: ArbitrageRecord): Promise<void> {
      const parsed = ArbitrageRecordSchema.safeParse(record);
      if (!parsed.success)
        throw ApplicationFailure.nonRetryable(
          `bad arbitrage record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          'InvalidArbitrageRecord',
        );
      await saveArbitrage(deps.pool, parsed.data);
    },
  };
}

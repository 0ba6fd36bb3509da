import { writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { temporalApi } from '../temporal/proto';

/**
 * Saves a workflow's event history for the replay tier, as binary protobuf (exact, and independent of
 * JSON conversions):  node --import tsx scripts/save-history.ts <address> <workflowId> <out.pb>
 */
const [address, workflowId, out] = process.argv.slice(2);
if (!address || !workflowId || !out) {
  console.error('usage: save-history.ts <address> <workflowId> <out.pb>');
  process.exit(2);
}
const connection = await Connection.connect({ address });
try {
  const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(out, temporalApi.history.v1.History.encode(history).finish());
  console.log(`saved ${history.events?.length ?? 0} events of ${workflowId} to ${out}`);
} finally {
  await connection.close();
}

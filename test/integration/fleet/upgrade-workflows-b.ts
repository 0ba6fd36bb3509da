import { patched, upsertMemo } from '@temporalio/workflow';
import {
  symbolWorkflow as symbolWorkflowA,
  type SymbolInput,
} from '../../../workflows/symbol/symbol-workflow';

/**
 * Version B of Keel's workflows for the upgrade test: A's, with the symbol workflow patched the way a real
 * change ships. A run that started on A replays here without the patch (its history has no marker there)
 * and takes it at its next run (continue-as-new); a run that starts on B takes it at once.
 */
export * from '../../../workflows';

export const UPGRADE_PATCH = 'keel-upgrade-b';

export async function symbolWorkflow(input: SymbolInput): Promise<void> {
  if (patched(UPGRADE_PATCH)) upsertMemo({ keelBuild: 'b' });
  return symbolWorkflowA(input);
}

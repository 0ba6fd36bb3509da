import type { Client } from '@temporalio/client';
import type { VenuesConfig } from '../config/venues';
import { accountWorkflowId } from '../domain/ids';
import { accountWorkflow } from '../workflows/accounts/account-workflow';

/**
 * Starts the account workflow of every configured (venue, account) that trades perps, once: a running one
 * is kept (USE_EXISTING). A venue listing no account trades as `keel`, the simulator's default.
 */
export async function ensureAccountWorkflows(client: Client, taskQueue: string, venues: VenuesConfig) {
  for (const setup of venues.venues) {
    if (!setup.markets.includes('perp')) continue;
    const accounts = setup.accounts.length > 0 ? setup.accounts.map((account) => account.name) : ['keel'];
    for (const account of accounts)
      await client.workflow.start(accountWorkflow, {
        workflowId: accountWorkflowId('', setup.venue, account),
        taskQueue,
        args: [{ venue: setup.venue, account, markets: setup.markets }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `Keel account ${account} on ${setup.venue}: reconciled with the venue every 30 s`,
        staticDetails: `query accountState (e.g. temporal workflow query --workflow-id ${accountWorkflowId('', setup.venue, account)} --type accountState)`,
      });
  }
}

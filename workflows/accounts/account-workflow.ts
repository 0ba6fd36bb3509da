import {
  ApplicationFailure,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { createAccountActivities } from '../../activities/account-reconcile';
import { symbolWorkflowId } from '../../domain/ids';
import { AccountNameSchema, MarketKindSchema, VenueSchema } from '../../domain/venues';
import {
  accountChangeSignal,
  accountStateQuery,
  type AccountChange,
  type AccountState,
} from './account-messages';
import { advanceFundingCursor, type FundingCursor } from './funding-cursor';

export const AccountWorkflowInputSchema = z.object({
  venue: VenueSchema,
  account: AccountNameSchema,
  markets: z.array(MarketKindSchema).min(1).default(['spot', 'perp']),
  /** How often the account is read and reconciled (seed 000: every 30 s). */
  intervalMs: z.int().min(1_000).max(3_600_000).default(30_000),
  /** Perps whose funding rate is polled. */
  fundingSymbols: z.array(z.string().min(1).max(64)).max(1_000).default([]),
  /** The orchestrator's id prefix, to find the symbol workflows to tell (production: ''). */
  idPrefix: z.string().max(64).default(''),
  /** Discrepancies already told, carried across continue-as-new: `symbol` → `venue/ledger` quantities. */
  reported: z.record(z.string(), z.string()).default({}),
  /**
   * Funding settled from this time (ms) on is read and told; unset: from the workflow's start. With the ids
   * already told at exactly that time, carried across continue-as-new, so no payment is told twice.
   */
  fundingSince: z.number().int().min(0).optional(),
  fundingToldAtCursor: z.array(z.string()).max(10_000).default([]),
});
export type AccountWorkflowInput = z.input<typeof AccountWorkflowInputSchema>;

const { reconcileAccount } = proxyActivities<ReturnType<typeof createAccountActivities>>({
  startToCloseTimeout: '30 seconds',
  // A venue down for a while is the next round's business: the loop goes on.
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/**
 * One per (venue, account): reconciles balances and perp positions with the venue every `intervalMs`,
 * polls the funding rates of the perps in use, stores each reading (account_snapshots), and tells a
 * symbol's workflow once when the venue's position in its perp stops matching Keel's fills, so the
 * strategy can act on a change it did not cause, and of each funding payment settled on its perp.
 */
export async function accountWorkflow(raw: AccountWorkflowInput): Promise<void> {
  const parsed = AccountWorkflowInputSchema.safeParse(raw);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `bad account workflow input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      'InvalidAccountInput',
    );
  const input = parsed.data;
  const reported = { ...input.reported };
  let funding: FundingCursor = {
    since: input.fundingSince ?? Date.now(),
    toldAtCursor: input.fundingToldAtCursor,
  };
  const state: AccountState = {
    venue: input.venue,
    account: input.account,
    reconciliations: 0,
    last: undefined,
    problem: undefined,
  };
  setHandler(accountStateQuery, () => state);

  while (!workflowInfo().continueAsNewSuggested) {
    try {
      const result = await reconcileAccount({
        venue: input.venue,
        account: input.account,
        markets: input.markets,
        fundingSymbols: input.fundingSymbols,
        fundingSince: input.markets.includes('perp') ? funding.since : undefined,
      });
      state.last = result;
      state.reconciliations += 1;
      state.problem = undefined;
      for (const discrepancy of result.discrepancies) {
        const seen = `${discrepancy.venueQuantity}/${discrepancy.ledgerQuantity}`;
        if (reported[discrepancy.symbol] === seen) continue;
        reported[discrepancy.symbol] = seen;
        const change: AccountChange = {
          kind: 'position',
          venue: input.venue,
          account: input.account,
          market: 'perp',
          ...discrepancy,
          detectedAt: result.takenAt,
        };
        log.warn('account: a position changed behind Keel’s back', change);
        await tell(discrepancy.symbol, change);
      }
      for (const symbol of Object.keys(reported))
        if (!result.discrepancies.some((discrepancy) => discrepancy.symbol === symbol))
          delete reported[symbol];
      const { fresh, next } = advanceFundingCursor(funding, result.payments ?? []);
      for (const [symbol, payments] of bySymbol(fresh)) {
        const change: AccountChange = {
          kind: 'funding',
          venue: input.venue,
          account: input.account,
          market: 'perp',
          symbol,
          payments: payments.map(({ id, at, amount }) => ({ id, at, amount })),
          detectedAt: result.takenAt,
        };
        await tell(symbol, change);
      }
      funding = next;
    } catch (error) {
      state.problem = error instanceof Error ? error.message : String(error);
    }
    await sleep(input.intervalMs);
  }
  await continueAsNew<typeof accountWorkflow>({
    ...input,
    reported,
    fundingSince: funding.since,
    fundingToldAtCursor: funding.toldAtCursor,
  });

  async function tell(symbol: string, change: AccountChange): Promise<void> {
    await getExternalWorkflowHandle(symbolWorkflowId(input.idPrefix, symbol))
      .signal(accountChangeSignal, change)
      .catch(() => log.warn('account: no running symbol workflow to tell', { symbol, kind: change.kind }));
  }
}

function bySymbol<T extends { symbol: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.symbol, [...(groups.get(item.symbol) ?? []), item]);
  return groups;
}

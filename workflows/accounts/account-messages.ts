import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import { AccountNameSchema, VenueSchema } from '../../domain/venues';

const AccountChangeBase = {
  venue: VenueSchema,
  account: AccountNameSchema,
  market: z.literal('perp'),
  symbol: z.string().min(1).max(64),
  detectedAt: z.number(),
};

/**
 * Account → symbol: the venue's position in one of the symbol's perps no longer matches what Keel's fills
 * add up to, so something changed it behind Keel's back (a close on the venue's site, a liquidation).
 * Quantities are signed base units (negative: short).
 */
export const PositionChangeSchema = z.object({
  kind: z.literal('position').default('position'),
  ...AccountChangeBase,
  venueQuantity: z.string(),
  ledgerQuantity: z.string(),
});

/**
 * Account → symbol: the venue settled funding on the account's position in one of the symbol's perps.
 * Each payment is signed from the account's view (+ received, − paid) in the quote asset, and named by the
 * venue's own id (or its settlement time where the venue gives none), so a payment told twice counts once.
 */
export const FundingChangeSchema = z.object({
  kind: z.literal('funding'),
  ...AccountChangeBase,
  payments: z.array(z.object({ id: z.string().min(1).max(128), at: z.number(), amount: z.string() })).min(1),
});

export const AccountChangeSchema = z.union([FundingChangeSchema, PositionChangeSchema]);
export type AccountChange = z.infer<typeof AccountChangeSchema>;
export type PositionChange = z.infer<typeof PositionChangeSchema>;
export type FundingChange = z.infer<typeof FundingChangeSchema>;
export const accountChangeSignal = defineSignal<[AccountChange]>('accountChange');

export interface AccountState {
  venue: string;
  account: string;
  reconciliations: number;
  /** The last reconciliation: when, the perp positions and funding rates read, and the discrepancies. */
  last:
    | {
        takenAt: number;
        positions: Array<{ symbol: string; quantity: string; markPrice: string }>;
        funding: Array<{ symbol: string; rate: string; nextFundingTime: number }>;
        discrepancies: Array<{ symbol: string; venueQuantity: string; ledgerQuantity: string }>;
      }
    | undefined;
  /** Why the last reconciliation failed, or undefined. */
  problem: string | undefined;
}
export const accountStateQuery = defineQuery<AccountState>('accountState');

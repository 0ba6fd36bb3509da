import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import { AccountNameSchema, VenueSchema } from '../../domain/venues';

/**
 * Account → symbol: the venue's position in one of the symbol's perps no longer matches what Keel's fills
 * add up to, so something changed it behind Keel's back (a close on the venue's site, a liquidation).
 * Quantities are signed base units (negative: short).
 */
export const AccountChangeSchema = z.object({
  venue: VenueSchema,
  account: AccountNameSchema,
  market: z.literal('perp'),
  symbol: z.string().min(1).max(64),
  venueQuantity: z.string(),
  ledgerQuantity: z.string(),
  detectedAt: z.number(),
});
export type AccountChange = z.infer<typeof AccountChangeSchema>;
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

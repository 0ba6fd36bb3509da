import { z } from 'zod';

/** Every venue Keel knows by name (the simulator serves the first four). */
export const VenueSchema = z.enum(['binance', 'bybit', 'okx', 'mexc', 'bitget', 'gate']);
export type Venue = z.infer<typeof VenueSchema>;

/** Spot, or a USDT-margined linear perpetual. */
export const MarketKindSchema = z.enum(['spot', 'perp']);
export type MarketKind = z.infer<typeof MarketKindSchema>;

export const AccountNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"');

/** One account on one venue market: where an order goes. */
export const VenueRefSchema = z.object({
  venue: VenueSchema,
  market: MarketKindSchema.default('spot'),
  account: AccountNameSchema.default('keel'),
  /**
   * Real money: true only where orders must reach a real venue. Checked at every placement against the
   * connector the worker has for this venue, so a configuration written for the simulator never trades on
   * a real venue configured later under the same name, nor the other way round.
   */
  live: z.boolean().default(false),
});
export type VenueRef = z.infer<typeof VenueRefSchema>;

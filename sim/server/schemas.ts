import { z } from 'zod';
import { SignedDecimalStringSchema } from '../../domain/trading';
import { MarketKindSchema } from '../../domain/venues';
import { SimError } from '../errors';
import { FaultRuleSchema } from '../faults';
import type { RequestStamp } from '../gateway';

/** Decimal numbers travel as strings; the venue validates them against the instrument's grid. */
const Decimal = z.string().min(1).max(40);
const Name = z.string().min(1).max(128);

/**
 * Binance-style request stamp (`timestamp` ms since the epoch, `recvWindow` ms): optional on the
 * simulator's own API, where an unstamped request is not checked; Keel's connectors always send it.
 */
const StampFields = { timestamp: z.int().optional(), recvWindow: z.number().optional() };
export const StampQuerySchema = z.object({
  timestamp: z.coerce.number().int().optional(),
  recvWindow: z.coerce.number().optional(),
});

/** The stamp a request carries, if any; a recvWindow without a timestamp is malformed. */
export function stampOf(fields: {
  timestamp?: number | undefined;
  recvWindow?: number | undefined;
}): RequestStamp | undefined {
  if (fields.timestamp !== undefined) return { timestamp: fields.timestamp, recvWindow: fields.recvWindow };
  if (fields.recvWindow !== undefined)
    throw new SimError('MALFORMED_REQUEST', 'recvWindow needs a timestamp');
  return undefined;
}

export const PlaceOrderSchema = z.object({
  account: Name,
  symbol: Name,
  side: z.enum(['buy', 'sell']),
  type: z.enum(['limit', 'market']),
  quantity: Decimal,
  price: Decimal.optional(),
  timeInForce: z.enum(['GTC', 'IOC', 'FOK']).optional(),
  postOnly: z.boolean().optional(),
  reduceOnly: z.boolean().optional(),
  clientOrderId: z.string().min(1).max(64).optional(),
  ...StampFields,
});
export type PlaceOrderBody = z.infer<typeof PlaceOrderSchema>;

export const OrderRefQuerySchema = z
  .object({ account: Name, clientOrderId: z.string().min(1).max(64).optional(), orderId: Name.optional() })
  .refine((q) => (q.clientOrderId === undefined) !== (q.orderId === undefined), {
    message: 'give exactly one of clientOrderId, orderId',
  });

export const AccountQuerySchema = z.object({
  account: Name,
  symbol: Name.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
export const SymbolQuerySchema = z.object({
  symbol: Name,
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

export const LeverageSchema = z.object({ account: Name, symbol: Name, leverage: z.int().min(1).max(125) });

export const DepositSchema = z.object({
  venue: Name,
  wallet: MarketKindSchema,
  account: Name,
  asset: Name,
  amount: Decimal,
});

export const StepSchema = z.object({
  dtMs: z
    .number()
    .int()
    .min(0)
    .max(30 * 24 * 3600_000),
});
export const MarkSchema = z.object({ venue: Name, symbol: Name, price: Decimal });
export const FundingRateSchema = z.object({
  venue: Name,
  symbol: Name,
  rate: SignedDecimalStringSchema,
});
export const ClientIdReuseSchema = z.object({ venue: Name, mode: z.enum(['never', 'after-close']) });
export const FaultsBodySchema = z.union([FaultRuleSchema, z.array(FaultRuleSchema)]);
export const FaultsDeleteQuerySchema = z.object({ id: z.string().optional(), venue: z.string().optional() });

/** `GET /admin/requests`: the request log, of one venue and since a wall-clock time (ms) if asked. */
export const RequestLogQuerySchema = z.object({
  venue: z.string().optional(),
  since: z.coerce.number().int().nonnegative().optional(),
});

export const WsMessageSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('subscribe'),
    channel: z.enum(['bbo', 'trades', 'depth']),
    venue: Name,
    market: MarketKindSchema,
    symbol: Name,
  }),
  z.object({
    op: z.literal('unsubscribe'),
    channel: z.enum(['bbo', 'trades', 'depth']),
    venue: Name,
    market: MarketKindSchema,
    symbol: Name,
  }),
  z.object({
    op: z.literal('placeOrder'),
    id: z.union([z.string(), z.number()]),
    venue: Name,
    market: MarketKindSchema,
    order: PlaceOrderSchema,
  }),
  z.object({
    op: z.literal('cancelOrder'),
    id: z.union([z.string(), z.number()]),
    venue: Name,
    market: MarketKindSchema,
    account: Name,
    clientOrderId: z.string().optional(),
    orderId: z.string().optional(),
    ...StampFields,
  }),
]);
export type WsMessage = z.infer<typeof WsMessageSchema>;

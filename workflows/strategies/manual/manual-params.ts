import { z } from 'zod';
import type { PlacementResult } from '../../../activities/place-order-once';
import { toFixed } from '../../../domain/decimal';
import { ClientOrderIdSchema } from '../../../domain/ids';
import { DecimalParamSchema, OrderSideSchema, TimeInForceSchema } from '../../../domain/trading';

/** The manual strategy's configuration: only how often it asks the venue about its resting orders. */
export const ManualParamsSchema = z
  .object({
    /** While orders rest, how often their fills and closes are read from the venue (and the ledger updated). */
    refreshMs: z.number().int().min(1000).max(3_600_000).default(15_000),
  })
  .strict();
export type ManualParams = z.infer<typeof ManualParamsSchema>;

/** A price or quantity an operator gives: a decimal string above zero (a malformed one is refused as such). */
const Positive = DecimalParamSchema.refine(
  (text) => !DecimalParamSchema.safeParse(text).success || toFixed(text) > 0n,
  'must be above zero',
);

/** A new order as an operator gives it (the API's body, the `place` command without its kind). */
export const ManualOrderShape = z
  .object({
    side: OrderSideSchema,
    type: z.enum(['limit', 'market']),
    /** Limit orders only. */
    price: Positive.optional(),
    quantity: Positive,
    /** Limit orders only: refused by the venue rather than taking liquidity. */
    postOnly: z.boolean().optional(),
    timeInForce: TimeInForceSchema.optional(),
  })
  .strict();
export type ManualOrderSpec = z.infer<typeof ManualOrderShape>;

/** A limit order needs a price; a market order takes neither a price nor postOnly. */
export function checkOrderShape(order: ManualOrderSpec, context: z.RefinementCtx): void {
  if (order.type === 'limit' && order.price === undefined)
    context.addIssue({ code: 'custom', path: ['price'], message: 'a limit order needs a price' });
  if (order.type === 'market' && order.price !== undefined)
    context.addIssue({ code: 'custom', path: ['price'], message: 'a market order takes no price' });
  if (order.type === 'market' && order.postOnly)
    context.addIssue({ code: 'custom', path: ['postOnly'], message: 'a market order cannot be post-only' });
}

/** What an amend may change (the API's body): a new price, a new total quantity, or both. */
export const ManualAmendShape = z
  .object({
    price: Positive.optional(),
    /** The order's new total quantity, what already filled included (as venues' own amends count it). */
    quantity: Positive.optional(),
  })
  .strict();

export function checkAmendShape(amend: z.infer<typeof ManualAmendShape>, context: z.RefinementCtx): void {
  if (amend.price === undefined && amend.quantity === undefined)
    context.addIssue({ code: 'custom', path: [], message: 'an amend needs a new price or quantity' });
}

/**
 * An operator's command to a symbol's manual strategy, as the `manualOrder` update takes it (from the API or
 * `temporal workflow update execute`): place a new order, amend or cancel one of its resting orders.
 */
export const ManualCommandSchema = z
  .discriminatedUnion('kind', [
    ManualOrderShape.extend({ kind: z.literal('place') }),
    ManualAmendShape.extend({ kind: z.literal('amend'), clientOrderId: ClientOrderIdSchema }),
    z.object({ kind: z.literal('cancel'), clientOrderId: ClientOrderIdSchema }).strict(),
  ])
  .superRefine((command, context) => {
    if (command.kind === 'place') checkOrderShape(command, context);
    if (command.kind === 'amend') checkAmendShape(command, context);
  });
export type ManualCommand = z.output<typeof ManualCommandSchema>;
export type ManualCommandInput = z.input<typeof ManualCommandSchema>;

/** The ledger's view of one order once the order path settled it. */
export type ManualOrderView = PlacementResult;

/** What a manual command did, as the ledger recorded it. */
export interface ManualCommandResult {
  kind: ManualCommand['kind'];
  /**
   * place: the new order; amend: its replacement (null when none was placed, see `note`); cancel: the
   * cancelled order's last state (null when the venue no longer knew it).
   */
  order: ManualOrderView | null;
  /** amend only: the last state of the order it replaced. */
  replaced?: ManualOrderView | null;
  /** Why an amend placed no replacement, or a cancel found nothing to cancel. */
  note?: string;
}

/** Zod issues as one readable line: `price: must be above zero; quantity: Required`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '') + issue.message)
    .join('; ');
}

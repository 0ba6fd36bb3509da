import { z } from 'zod';
import { BinanceApiError, binanceErrors } from './errors';

/** Request parameters checked by a zod schema, refused with the code Binance gives the offending one. */
export function parseParams<S extends z.ZodType>(schema: S, params: URLSearchParams): z.infer<S> {
  const r = schema.safeParse(Object.fromEntries(params));
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const name = issue?.path.join('.') ?? '?';
  if (name === 'newClientOrderId')
    throw new BinanceApiError(400, -1100, "Illegal characters found in parameter 'newClientOrderId'.");
  if (name === 'type') throw new BinanceApiError(400, -1116, 'Invalid orderType.');
  if (name === 'side') throw new BinanceApiError(400, -1117, 'Invalid side.');
  if (name === 'timeInForce') throw new BinanceApiError(400, -1115, 'Invalid timeInForce.');
  if (name === 'interval') throw new BinanceApiError(400, -1120, 'Invalid interval.');
  if (issue?.code === 'invalid_format')
    throw new BinanceApiError(400, -1100, `Illegal characters found in parameter '${name}'.`);
  throw binanceErrors.mandatory(name);
}

/** A non-negative integer query parameter (ids, ms timestamps, limits). */
export const IntParam = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);

/** `symbol` plus the paging parameters of Binance's history endpoints (trades, orders, fills). */
export const HistoryParamsSchema = z.object({
  symbol: z.string(),
  startTime: IntParam.optional(),
  endTime: IntParam.optional(),
  fromId: IntParam.optional(),
  orderId: IntParam.optional(),
  limit: IntParam.optional(),
});

export interface HistoryWindow {
  startTime?: number | undefined;
  endTime?: number | undefined;
  /** Smallest id returned. */
  fromId?: number | undefined;
  limit: number;
}

/** `limit` as Binance treats it: default when absent, clamped to 1..max. */
export const clampLimit = (limit: number | undefined, def: number, max: number): number =>
  Math.min(Math.max(limit ?? def, 1), max);

/**
 * Binance's paging over an oldest-first history: items within [startTime, endTime] with id >= fromId;
 * the first `limit` of them when the caller gave a start (time or id), otherwise the newest `limit`.
 */
export function selectWindow<T>(
  items: readonly T[],
  w: HistoryWindow,
  idOf: (t: T) => number,
  tsOf: (t: T) => number,
): T[] {
  const kept = items.filter(
    (t) =>
      (w.fromId === undefined || idOf(t) >= w.fromId) &&
      (w.startTime === undefined || tsOf(t) >= w.startTime) &&
      (w.endTime === undefined || tsOf(t) <= w.endTime),
  );
  const fromStart = w.startTime !== undefined || w.fromId !== undefined;
  return fromStart ? kept.slice(0, w.limit) : kept.slice(Math.max(0, kept.length - w.limit));
}

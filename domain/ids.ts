/**
 * Every identifier Keel derives for workflows and orders, as pure functions of durable state, so a replay
 * or a retry derives the same id and never a second one. Deterministic: no I/O, no clock, no randomness.
 */

import { z } from 'zod';

/** The root orchestrator's well-known workflow id in production. */
export const ORCHESTRATOR_WORKFLOW_ID = 'keel-orchestrator';

/**
 * Shards of a new root when none is asked for (KEEL_SHARD_COUNT), and the most a root may have. A root's
 * shard count is fixed for its life: symbols are routed by `fnv1a32(symbol) % shardCount`.
 */
export const DEFAULT_SHARD_COUNT = 8;
export const MAX_SHARD_COUNT = 64;

/** 32-bit FNV-1a over the UTF-16 code units of `text`: stable across processes, platforms and releases. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * `idPrefix` namespaces one orchestrator's children: production uses '' (ids `shard:3`, `symbol:BTC-USDT`);
 * tests and benches pass their own so several orchestrators share one server without colliding.
 */
export function shardWorkflowId(idPrefix: string, shardIndex: number): string {
  return `${idPrefix}shard:${shardIndex}`;
}

export function symbolWorkflowId(idPrefix: string, symbol: string): string {
  return `${idPrefix}symbol:${symbol}`;
}

/** A client order id any venue Keel knows accepts: binance, bybit, okx, mexc, bitget and gate alike. */
export const ClientOrderIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9]{1,28}$/, 'must be 1-28 letters or digits')
  .refine((id) => !id.startsWith('t'), 'must not start with "t" (gate reserves it)')
  .brand<'ClientOrderId'>();
export type ClientOrderId = z.infer<typeof ClientOrderIdSchema>;
/** The venue's own id of an order. */
export type VenueOrderId = string & z.$brand<'VenueOrderId'>;

function base36(value: number, width: number): string {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 36 ** width)
    throw new RangeError(`${value} does not fit ${width} base-36 digits`);
  return value.toString(36).padStart(width, '0');
}

export interface ClientOrderIdParts {
  /** Names one symbol workflow chain: the workflow id and its first run id (so a re-added symbol never reuses ids). */
  scope: string;
  /** The strategy's position in the symbol's configuration (0-35). */
  strategySlot: number;
  /** Bumped by the strategy every time it re-quotes (0 … 36^6 − 1). */
  generation: number;
  /** The order's place within one generation (0 … 36^3 − 1). */
  sequence: number;
}

/** The 8-character prefix every order of one symbol workflow chain carries: `K` + 7 base-36 hash digits. */
export function clientOrderIdPrefix(scope: string): string {
  return `K${base36(fnv1a32(scope) % 36 ** 7, 7)}`;
}

/** The 9-character prefix every order of one strategy slot carries: the chain's prefix + the slot. */
export function strategyClientOrderIdPrefix(scope: string, strategySlot: number): string {
  return clientOrderIdPrefix(scope) + base36(strategySlot, 1);
}

/**
 * `K` + scope hash (7) + slot (1) + generation (6) + sequence (3) = 18 characters of [0-9a-zK]: valid on
 * every venue Keel knows (1-28 letters or digits, never starting with `t`).
 */
export function clientOrderId(parts: ClientOrderIdParts): string {
  const id =
    strategyClientOrderIdPrefix(parts.scope, parts.strategySlot) +
    base36(parts.generation, 6) +
    base36(parts.sequence, 3);
  if (!ClientOrderIdSchema.safeParse(id).success) throw new Error(`bad client order id ${id}`);
  return id;
}

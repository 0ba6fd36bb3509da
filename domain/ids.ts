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

/** The one account workflow of (venue, account) for an orchestrator (`idPrefix` as above). */
export function accountWorkflowId(idPrefix: string, venue: string, account: string): string {
  return `${idPrefix}account:${venue}:${account}`;
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

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** 64-bit FNV-1a over the UTF-16 code units of `text`, like `fnv1a32`: stable everywhere, forever. */
export function fnv1a64(text: string): bigint {
  let hash = FNV64_OFFSET;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= BigInt(text.charCodeAt(index));
    hash = (hash * FNV64_PRIME) & MASK64;
  }
  return hash;
}

const SCOPE_DIGITS = 13;
const SEQUENCE_DIGITS = 9;
/** How many client order ids one symbol chain can issue (36^9 ≈ 1.0e14). */
export const CLIENT_ORDER_ID_SEQUENCES = 36 ** SEQUENCE_DIGITS;

export interface ClientOrderIdParts {
  /** Names one symbol workflow chain: the workflow id and its first run id (so a re-added symbol never reuses ids). */
  scope: string;
  /** The strategy's position in the symbol's configuration (0-35): its orders share a prefix. */
  strategySlot: number;
  /** The chain's order counter: every id the chain issues takes the next number, whatever strategy asks. */
  sequence: number;
}

/**
 * The 14-character prefix every order of one symbol workflow chain carries: `K` + 13 base-36 digits of
 * FNV-1a-64(scope). The ledger keys orders by client order id across every chain, so two chains must not
 * share a prefix: with 2^64 prefixes, a collision among a million chains has odds of about 3 × 10^-8
 * (n² / 2^65), where the old 32-bit prefix collided almost surely (n² / 2^33 ≈ 116 expected pairs).
 */
export function clientOrderIdPrefix(scope: string): string {
  return `K${fnv1a64(scope).toString(36).padStart(SCOPE_DIGITS, '0')}`;
}

/** The 15-character prefix every order of one strategy slot carries: the chain's prefix + the slot. */
export function strategyClientOrderIdPrefix(scope: string, strategySlot: number): string {
  return clientOrderIdPrefix(scope) + base36(strategySlot, 1);
}

/**
 * `K` + scope hash (13) + slot (1) + sequence (9) = 24 characters of [0-9a-zK]: valid on every venue Keel
 * knows (1-28 letters or digits, never starting with `t`). Unique for the life of the chain because the
 * sequence is the chain's own durable counter.
 */
export function clientOrderId(parts: ClientOrderIdParts): string {
  const id =
    strategyClientOrderIdPrefix(parts.scope, parts.strategySlot) + base36(parts.sequence, SEQUENCE_DIGITS);
  if (!ClientOrderIdSchema.safeParse(id).success) throw new Error(`bad client order id ${id}`);
  return id;
}

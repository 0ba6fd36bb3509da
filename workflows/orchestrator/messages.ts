import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import {
  SymbolConfigSchema,
  type SymbolConfig,
  type SymbolConfigInput,
  type SymbolStatus,
} from '../symbol/symbol-config';

/*
 * Control messages. On the root (`keel-orchestrator`) every control message exists both as a signal
 * (fire-and-forget: `temporal workflow signal --name addSymbol`) and as an update of the same name (the
 * caller learns accepted/rejected). Payloads are validated with these schemas inside the workflow:
 * update validators reject, malformed signals are logged with log.warn and dropped.
 */

export const AddSymbolSchema = z
  .object({ symbol: CanonicalSymbolSchema, config: SymbolConfigSchema })
  .strict();
export const RemoveSymbolSchema = z.object({ symbol: CanonicalSymbolSchema }).strict();
export const UpdateSymbolSchema = z
  .object({ symbol: CanonicalSymbolSchema, config: SymbolConfigSchema })
  .strict();
/** Without `symbol`: every symbol (global pause/resume). */
export const PauseResumeSchema = z.preprocess(
  (value) => value ?? {},
  // A plain object only: an empty byte array (binary/plain with no data) must not pause every symbol.
  z
    .custom<object>(
      (value) => typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype,
      {
        message: 'must be a JSON object such as {"symbol":"BTC-USDT"}, or nothing for every symbol',
      },
    )
    .pipe(z.object({ symbol: CanonicalSymbolSchema.optional() }).strict()),
);

export type AddSymbolInput = { symbol: string; config: SymbolConfigInput };
export type RemoveSymbolInput = z.input<typeof RemoveSymbolSchema>;
export type UpdateSymbolInput = { symbol: string; config: SymbolConfigInput };
export type PauseResumeInput = { symbol?: string } | undefined;

export interface ControlResult {
  symbol?: string;
  shard?: number;
  workflowId?: string;
  /** What the orchestrator did: the update's acceptance is the caller's receipt. */
  outcome: 'added' | 'removing' | 'updated' | 'paused' | 'resumed';
  affected: number;
}

export const addSymbolSignal = defineSignal<[AddSymbolInput]>('addSymbol');
export const removeSymbolSignal = defineSignal<[RemoveSymbolInput]>('removeSymbol');
export const updateSymbolSignal = defineSignal<[UpdateSymbolInput]>('updateSymbol');
export const pauseSignal = defineSignal<[PauseResumeInput]>('pause');
export const resumeSignal = defineSignal<[PauseResumeInput]>('resume');

export const addSymbolUpdate = defineUpdate<ControlResult, [AddSymbolInput]>('addSymbol');
export const removeSymbolUpdate = defineUpdate<ControlResult, [RemoveSymbolInput]>('removeSymbol');
export const updateSymbolUpdate = defineUpdate<ControlResult, [UpdateSymbolInput]>('updateSymbol');
export const pauseUpdate = defineUpdate<ControlResult, [PauseResumeInput]>('pause');
export const resumeUpdate = defineUpdate<ControlResult, [PauseResumeInput]>('resume');

/** What the root keeps per symbol: routing and desired pause state. Configuration lives in the shard. */
export interface RootSymbolEntry {
  symbol: string;
  shard: number;
  workflowId: string;
  paused: boolean;
}

export interface OrchestratorStatus {
  workflowId: string;
  idPrefix: string;
  shardCount: number;
  globalPaused: boolean;
  symbolCount: number;
  shards: Array<{ index: number; workflowId: string; symbols: number }>;
  /** Malformed or refused signals dropped since the orchestrator started (carried across runs). */
  droppedSignals: number;
}

/** The root's registry: every symbol it routed, with its shard and desired state. */
export const listSymbolsQuery = defineQuery<RootSymbolEntry[]>('listSymbols');
/** One symbol as the root knows it, or null. */
export const symbolQuery = defineQuery<RootSymbolEntry | null, [string]>('symbol');
export const statusQuery = defineQuery<OrchestratorStatus>('status');

/* Root → shard. Commands travel in ordered batches (one signal at a time per shard). */
export const ShardCommandSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('add'),
    symbol: CanonicalSymbolSchema,
    config: SymbolConfigSchema,
    paused: z.boolean(),
  }),
  z.object({ kind: z.literal('remove'), symbol: CanonicalSymbolSchema }),
  z.object({ kind: z.literal('update'), symbol: CanonicalSymbolSchema, config: SymbolConfigSchema }),
  z.object({ kind: z.literal('pause'), symbol: CanonicalSymbolSchema.optional() }),
  z.object({ kind: z.literal('resume'), symbol: CanonicalSymbolSchema.optional() }),
]);
export type ShardCommand = z.input<typeof ShardCommandSchema>;
export const ShardCommandBatchSchema = z.object({ commands: z.array(ShardCommandSchema).min(1) });
export const shardCommandsSignal = defineSignal<[{ commands: ShardCommand[] }]>('shardCommands');

export interface ShardSymbolEntry {
  symbol: string;
  workflowId: string;
  status: SymbolStatus;
  /** What is wrong with the symbol, as its workflow reported it (or as the shard found it). */
  problems?: string[];
  paused: boolean;
  config: SymbolConfig;
  /** The client order id scope of the running child chain: a restarted child sweeps the orders of it. */
  orderIdScope?: string;
  /** The child workflow is not running although registered (it failed, was terminated or reset away). */
  closed?: boolean;
}
export const shardSymbolsQuery = defineQuery<ShardSymbolEntry[]>('shardSymbols');
export interface ShardStatus {
  shardIndex: number;
  symbols: number;
  /** Malformed or undecodable signals dropped since the shard started (carried across runs). */
  droppedSignals: number;
  runs: number;
}
export const shardStatusQuery = defineQuery<ShardStatus>('shardStatus');

import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import { SymbolConfigSchema, type SymbolConfig, type SymbolStatus } from './symbol-config';

/* The symbol workflow's messages: commands from its shard, the stop it reports back, its state query. */

/* Shard → symbol. */
export const SymbolCommandSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pause') }),
  z.object({ kind: z.literal('resume') }),
  z.object({ kind: z.literal('update'), config: SymbolConfigSchema }),
  z.object({ kind: z.literal('stop') }),
]);
export type SymbolCommand = z.input<typeof SymbolCommandSchema>;
export const symbolCommandSignal = defineSignal<[SymbolCommand]>('symbolCommand');

export interface SymbolState {
  symbol: string;
  workflowId: string;
  status: SymbolStatus;
  paused: boolean;
  config: SymbolConfig;
  strategies: Array<{ name: string; openOrders: string[]; state: unknown }>;
  /** Runs of this workflow so far (1 + continue-as-new count). */
  run: number;
}
export const symbolStateQuery = defineQuery<SymbolState>('symbolState');

/* Symbol → shard: the child finished (cancelled its orders) and may leave the registry. */
export const SymbolStoppedSchema = z.object({ symbol: CanonicalSymbolSchema });
export const symbolStoppedSignal = defineSignal<[{ symbol: string }]>('symbolStopped');

import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import {
  SymbolConfigSchema,
  SymbolStatusSchema,
  type SymbolConfig,
  type SymbolStatus,
} from './symbol-config';

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
/** The shard checks its child still runs: a signal to a closed workflow fails. Nothing to do on receipt. */
export const symbolPingSignal = defineSignal('symbolPing');

export interface SymbolState {
  symbol: string;
  workflowId: string;
  status: SymbolStatus;
  /** What is wrong, each named (failed strategies, orders the venue no longer knows, …); empty when healthy. */
  problems: string[];
  paused: boolean;
  config: SymbolConfig;
  strategies: Array<{
    name: string;
    openOrders: string[];
    state: unknown;
    health: 'ok' | 'degraded' | 'failed';
    problems: string[];
  }>;
  /** Runs of this workflow so far (1 + continue-as-new count). */
  run: number;
  /** Malformed or undecodable signals dropped (carried across runs). */
  droppedSignals: number;
}
export const symbolStateQuery = defineQuery<SymbolState>('symbolState');

/* Symbol → shard: its status changed (degraded, failed, recovered), so the shard and the API show it. */
export const SymbolStatusReportSchema = z.object({
  symbol: CanonicalSymbolSchema,
  status: SymbolStatusSchema,
  problems: z.array(z.string().max(2000)).max(50),
});
export type SymbolStatusReport = z.infer<typeof SymbolStatusReportSchema>;
export const symbolStatusSignal = defineSignal<[SymbolStatusReport]>('symbolStatus');

/* Symbol → shard: the child finished (cancelled its orders) and may leave the registry. */
export const SymbolStoppedSchema = z.object({ symbol: CanonicalSymbolSchema });
export const symbolStoppedSignal = defineSignal<[{ symbol: string }]>('symbolStopped');

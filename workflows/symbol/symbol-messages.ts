import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import type { ManualCommandInput, ManualCommandResult } from '../strategies/manual/manual-params';
import {
  SymbolConfigSchema,
  SymbolStatusSchema,
  type SymbolConfig,
  type SymbolStatus,
} from './symbol-config';

/*
 * The symbol workflow's messages: commands from its shard, the stop it reports back, its state query, and
 * operators' manual orders.
 */

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

/**
 * Operator → symbol: place, amend or cancel an order of the symbol's manual strategy (API
 * `/symbols/:symbol/manual-orders`, or `temporal workflow update execute --name manualOrder`). The
 * validator refuses bad input and commands the strategy cannot take (paused, an order it does not hold)
 * before anything is recorded; the result is the ledger's view of the order(s).
 */
export const manualOrderUpdate = defineUpdate<ManualCommandResult, [ManualCommandInput]>('manualOrder');

/** The failure type of a refused or failed `manualOrder` update, by why (the API answers 400, 404, 409, 502). */
export const MANUAL_ORDER_FAILURES = {
  invalid: 'ManualOrderInvalid',
  'not-found': 'ManualOrderNotFound',
  conflict: 'ManualOrderConflict',
  /** The strategy failed carrying it out (the order path failed for good): the symbol shows why. */
  failed: 'ManualOrderFailed',
} as const;

import { z } from 'zod';
import type { StrategyDefinition } from '../strategy-types';

export const IdleParamsSchema = z.object({}).strict();

/** Holds a symbol without trading: a placeholder that proves the seam and keeps benches exchange-free. */
export const idleStrategy: StrategyDefinition<z.infer<typeof IdleParamsSchema>> = {
  name: 'idle',
  paramsSchema: IdleParamsSchema,
  create: () => ({
    start: async () => undefined,
    step: async () => undefined,
    pause: async () => undefined,
    stop: async () => undefined,
    update: async () => undefined,
    nextStepInMs: () => undefined,
    snapshot: () => ({ openOrders: [], state: {} }),
    health: () => ({ status: 'ok' as const, problems: [] }),
  }),
};

import { z } from 'zod';
import { DEFAULT_SOURCE_STALENESS, SourceStalenessSchema } from './staleness';

/**
 * The engine's settings. Spreads are in basis points (1 bps = 0.01 %) of the spot ask: a direction opens
 * when its entry spread reaches `entryBps`; its tracker closes it as converged below `exitBps`, so entry
 * must lie above exit. `staleness` has one rule per source id.
 */
export const SpreadEngineSettingsSchema = z
  .object({
    entryBps: z.number().positive(),
    exitBps: z.number().min(0),
    staleness: z.array(SourceStalenessSchema).min(1),
  })
  .refine((settings) => settings.entryBps > settings.exitBps, {
    path: ['entryBps'],
    message: 'must be above exitBps',
  });
export type SpreadEngineSettings = z.infer<typeof SpreadEngineSettingsSchema>;

/** Keel's defaults (seed 004 gives no thresholds): open at 50 bps, converged below 10 bps. */
export function defaultSpreadEngineSettings(sourceCount: number): SpreadEngineSettings {
  return {
    entryBps: 50,
    exitBps: 10,
    staleness: Array.from({ length: sourceCount }, () => ({ ...DEFAULT_SOURCE_STALENESS })),
  };
}

export class SpreadSettingsError extends Error {
  override readonly name = 'SpreadSettingsError';
}

/** Parses settings or throws one line naming every bad key, e.g. `entryBps: must be above exitBps`. */
export function parseSpreadEngineSettings(input: unknown): SpreadEngineSettings {
  const parsed = SpreadEngineSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`,
    );
    throw new SpreadSettingsError(`bad spread engine settings: ${problems.join('; ')}`);
  }
  return parsed.data;
}

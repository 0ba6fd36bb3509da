import { z } from 'zod';
import { DIRECTIONS, SOURCE_COUNT } from '../../workflows/scanner/discovery/sources';

/**
 * What the engine needs to know of a discovery result, in numbers only: symbols `0..symbolCount-1` (the
 * global sorted list), sources `0..sourceCount-1` (a venue's spot or perp market) and directions (buy spot
 * on one source, sell the perp on another). `pairs[d]` lists the symbol ids direction `d` covers (the
 * symbols listed on both of its sources). Discovery's snapshot maps onto this shape; strings stay there.
 */
export const DirectionSchema = z.object({
  id: z.number().int().min(0),
  spotSource: z.number().int().min(0),
  perpSource: z.number().int().min(0),
});
export type Direction = z.infer<typeof DirectionSchema>;

/** Bounds keep every flat array small and every index an int32. */
export const MAX_SYMBOLS = 65_536;
export const MAX_SOURCES = 64;

export const EngineTopologySchema = z
  .object({
    symbolCount: z.number().int().min(0).max(MAX_SYMBOLS),
    sourceCount: z.number().int().min(2).max(MAX_SOURCES),
    directions: z.array(DirectionSchema),
    pairs: z.array(z.array(z.number().int().min(0))),
  })
  .superRefine((topology, ctx) => {
    const { symbolCount, sourceCount, directions, pairs } = topology;
    const seen = new Set<number>();
    directions.forEach((direction, index) => {
      const path = ['directions', index];
      if (direction.id >= directions.length || seen.has(direction.id)) {
        ctx.addIssue({ code: 'custom', path, message: `ids must be 0..${directions.length - 1}, each once` });
      }
      seen.add(direction.id);
      if (direction.spotSource >= sourceCount || direction.perpSource >= sourceCount) {
        ctx.addIssue({ code: 'custom', path, message: `sources must be below ${sourceCount}` });
      }
      if (direction.spotSource === direction.perpSource) {
        ctx.addIssue({ code: 'custom', path, message: 'spot and perp must be different sources' });
      }
    });
    if (pairs.length !== directions.length) {
      ctx.addIssue({ code: 'custom', path: ['pairs'], message: 'one symbol list per direction' });
    }
    pairs.forEach((symbols, direction) => {
      if (new Set(symbols).size !== symbols.length || symbols.some((symbol) => symbol >= symbolCount)) {
        ctx.addIssue({
          code: 'custom',
          path: ['pairs', direction],
          message: `symbol ids must be distinct and below ${symbolCount}`,
        });
      }
    });
  });
export type EngineTopology = z.infer<typeof EngineTopologySchema>;

/** Discovery's fixed sources and directions (seed 004's numbering), in the engine's numbers. */
export const SCANNER_SOURCE_COUNT = SOURCE_COUNT;
export const SCANNER_DIRECTIONS: readonly Direction[] = DIRECTIONS.map(({ id, spot, perp }) => ({
  id,
  spotSource: spot.id,
  perpSource: perp.id,
}));

/**
 * The scanner's directions over a listing: `listed[source]` holds the symbol ids that source trades; each
 * direction covers the symbols listed on both its sources.
 */
export function scannerTopology(symbolCount: number, listed: readonly (readonly number[])[]): EngineTopology {
  const sets = listed.map((symbols) => new Set(symbols));
  return EngineTopologySchema.parse({
    symbolCount,
    sourceCount: SCANNER_SOURCE_COUNT,
    directions: SCANNER_DIRECTIONS,
    pairs: SCANNER_DIRECTIONS.map(({ spotSource, perpSource }) =>
      [...(sets[spotSource] ?? [])].filter((symbol) => sets[perpSource]?.has(symbol)).sort((a, b) => a - b),
    ),
  });
}

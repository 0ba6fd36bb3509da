import { GridParamsSchema, type GridParamsInput } from '../../../workflows/strategies/grid/grid-params';

/** A long grid of 5 levels from 100 to 200 (100, 125, 150, 175, 200), one base unit per order, cap 10. */
export function gridParams(overrides: Partial<GridParamsInput> = {}) {
  return GridParamsSchema.parse({
    mode: 'long',
    lowerPrice: '100',
    upperPrice: '200',
    levels: 5,
    orderSize: { unit: 'base', amount: '1' },
    maxInventory: '10',
    ...overrides,
  });
}

import type { Pool } from 'pg';
import { abs, add, compare, divide, multiply, negate, sign, subtract } from '../domain/decimal';
import type { Side } from '../domain/trading';

export interface Fill {
  side: Side;
  quantity: string;
  price: string;
}

export interface Position {
  /** Signed: negative when short. */
  quantity: string;
  /** Average cost of the open quantity; 0 when flat. */
  averagePrice: string;
  realizedPnl: string;
  fills: number;
}

const flat: Position = { quantity: '0', averagePrice: '0', realizedPnl: '0', fills: 0 };

/**
 * Folds fills, oldest first, into a position by average cost: fills that add to the position move its
 * average price; fills that reduce it realize (exit − average) × quantity; a fill that flips the side opens
 * the remainder at its own price. Fees are kept on the orders, not subtracted here. Exact decimals. Pure.
 */
export function applyFill(position: Position, fill: Fill): Position {
  const delta = fill.side === 'buy' ? fill.quantity : negate(fill.quantity);
  const fills = position.fills + 1;
  if (sign(position.quantity) === 0 || sign(position.quantity) === sign(delta)) {
    const held = abs(position.quantity);
    const total = add(held, fill.quantity);
    const averagePrice = divide(
      add(multiply(held, position.averagePrice), multiply(fill.quantity, fill.price)),
      total,
      12,
      'down',
    );
    return { ...position, quantity: add(position.quantity, delta), averagePrice, fills };
  }
  const held = abs(position.quantity);
  const closing = compare(fill.quantity, held) < 0 ? fill.quantity : held;
  const perUnit =
    sign(position.quantity) > 0
      ? subtract(fill.price, position.averagePrice)
      : subtract(position.averagePrice, fill.price);
  const realizedPnl = add(position.realizedPnl, multiply(closing, perUnit));
  const quantity = add(position.quantity, delta);
  const averagePrice =
    sign(quantity) === 0 ? '0' : compare(fill.quantity, held) > 0 ? fill.price : position.averagePrice;
  return { quantity, averagePrice, realizedPnl, fills };
}

export function positionFromFills(fills: Fill[]): Position {
  return fills.reduce(applyFill, flat);
}

/** Positions and realized PnL per strategy on `symbol`, from the ledger's fills. */
export async function positionsBySymbol(
  pool: Pool,
  symbol: string,
): Promise<Array<{ strategy: string } & Position>> {
  const { rows } = await pool.query<{
    strategy: string;
    side: Side;
    quantity: string;
    price: string;
  }>(`SELECT strategy, side, quantity::text, price::text FROM ledger_fills WHERE symbol = $1 ORDER BY id`, [
    symbol,
  ]);
  const byStrategy = new Map<string, Fill[]>();
  for (const row of rows) byStrategy.set(row.strategy, [...(byStrategy.get(row.strategy) ?? []), row]);
  return [...byStrategy].map(([strategy, fills]) => ({ strategy, ...positionFromFills(fills) }));
}

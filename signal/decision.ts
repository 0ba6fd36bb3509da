import type { Signal } from './signal-generator';

/** Sizing (seed 003: max position 1.0, order size fraction 0.5), in base units. */
export interface DecisionSettings {
  /** The largest position either way. */
  maxPosition: number;
  /** Each entry is this fraction of `maxPosition`. */
  orderSizeFraction: number;
  /** Quantities are rounded down to it; less than one lot is no order. */
  lotSize: number;
  /** Whether a sell signal may open a short (default true); false: it only closes a long (a spot account). */
  allowShort?: boolean;
}

export interface SignalPosition {
  /** Signed: negative when short. */
  quantity: number;
  /** Until when the signal it was taken on holds (ms); then it is closed unless a signal renews it. */
  holdUntil: number;
}

export type Decision =
  | { action: 'hold'; holdUntil: number }
  | {
      action: 'order';
      side: 'buy' | 'sell';
      quantity: number;
      reason: 'entry' | 'exit-reversal' | 'exit-expired';
      holdUntil: number;
    };

const roundDown = (quantity: number, lot: number) => Math.floor(quantity / lot + 1e-9) * lot;

/**
 * From a signal (or none) and the position, what to do now. A signal adds a fraction of the allowed
 * position its way (up to the limit) and holds it for the signal's holding period; a signal against the
 * position closes it first (the next one may enter); a position whose holding period ran out with no
 * renewing signal is closed. Pure: the caller places the order through the durable path.
 */
export function decide(
  signal: Signal | undefined,
  position: SignalPosition,
  now: number,
  settings: DecisionSettings,
): Decision {
  const held = position.quantity;
  const close = (reason: 'exit-reversal' | 'exit-expired'): Decision => ({
    action: 'order',
    side: held > 0 ? 'sell' : 'buy',
    quantity: Math.abs(held),
    reason,
    holdUntil: now,
  });
  if (signal && signal.strength !== 0) {
    const direction = Math.sign(signal.strength);
    if (held !== 0 && Math.sign(held) !== direction) return close('exit-reversal');
    if (direction < 0 && held === 0 && settings.allowShort === false) return { action: 'hold', holdUntil: 0 };
    const holdUntil = now + signal.holdingPeriodMs;
    const room = settings.maxPosition - Math.abs(held);
    const quantity = roundDown(
      Math.min(settings.maxPosition * settings.orderSizeFraction, room),
      settings.lotSize,
    );
    if (quantity <= 0) return { action: 'hold', holdUntil };
    return { action: 'order', side: direction > 0 ? 'buy' : 'sell', quantity, reason: 'entry', holdUntil };
  }
  if (held !== 0 && now >= position.holdUntil) return close('exit-expired');
  return { action: 'hold', holdUntil: position.holdUntil };
}

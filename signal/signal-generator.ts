import type { Features } from './features';

/** A generator's view of the market: which way, how strongly, how sure, for how long. */
export interface Signal {
  /** In [−1, 1]: positive to buy, negative to sell. */
  strength: number;
  /** In [0, 1]. */
  confidence: number;
  /** How long the signal holds (ms); a position taken on it is closed after this unless renewed. */
  holdingPeriodMs: number;
}

/**
 * Every signal source (imbalance rule, ONNX model) behind one interface; `into` is reused, nothing allocated.
 * A rule answers at once; a model's inference answers later (a promise), and the loop running it evaluates
 * the latest features again only once it has (updates in between are folded into the windows, not queued).
 */
export interface SignalGenerator {
  readonly name: string;
  /** Writes the signal for `features` into `into`; false when there is none (no edge, or not confident). */
  generate(features: Features, into: Signal): boolean | Promise<boolean>;
}

/** A generator that answers in the same call: the hot loop's rules. */
export interface ImmediateSignalGenerator extends SignalGenerator {
  generate(features: Features, into: Signal): boolean;
}

export interface ImbalanceSettings {
  /** |imbalance| at the touch at or above which there is a signal (seed default 0.3). */
  threshold: number;
  /** Signals below this confidence are dropped (seed default 0.7). */
  minConfidence: number;
  /** How long a signal holds (seed: signal decay 500 ms). */
  decayMs: number;
}

export const IMBALANCE_DEFAULTS: ImbalanceSettings = { threshold: 0.3, minConfidence: 0.7, decayMs: 500 };

/**
 * Seed 003's imbalance strategy. Strength is the touch's imbalance. Confidence grows with how far past the
 * threshold it is (`excess`, 0 at the threshold, 1 at a one-sided touch) and with trade flow agreeing:
 * confidence = 0.5 + 0.25 × excess + 0.25 × agreement, where agreement is the trade-flow imbalance
 * signed the imbalance's way (−1..1). So a touch just past the threshold needs flow clearly its way to reach
 * 0.7, and flow against it pulls any signal under 0.75.
 */
export function imbalanceSignal(settings: ImbalanceSettings = IMBALANCE_DEFAULTS): ImmediateSignalGenerator {
  return {
    name: 'imbalance',
    generate(features, into) {
      const { imbalance, tradeFlowImbalance } = features;
      const magnitude = Math.abs(imbalance);
      if (magnitude < settings.threshold || magnitude === 0) return false;
      const excess = (magnitude - settings.threshold) / (1 - settings.threshold);
      const agreement = Math.sign(imbalance) * tradeFlowImbalance;
      const confidence = Math.min(1, Math.max(0, 0.5 + 0.25 * excess + 0.25 * agreement));
      if (confidence < settings.minConfidence) return false;
      into.strength = imbalance;
      into.confidence = confidence;
      into.holdingPeriodMs = settings.decayMs;
      return true;
    },
  };
}

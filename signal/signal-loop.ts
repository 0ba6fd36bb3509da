import { decide, type Decision, type DecisionSettings, type SignalPosition } from './decision';
import { emptyFeatures, type FeatureCalculator, type Features } from './features';
import type { MarketUpdate } from './market-updates';
import type { Signal, SignalGenerator } from './signal-generator';

export interface SignalLoopSettings {
  /** Snapshots the price window must hold before a signal counts (a warm-up after the loop starts). */
  minSamples: number;
  decision: DecisionSettings;
}

export type OrderDecision = Extract<Decision, { action: 'order' }>;

export interface SignalLoopEvents {
  /** The loop's one decision to order; the loop stops deciding after it (the caller acts, then starts anew). */
  decided(decision: OrderDecision, signal: Signal | undefined): void;
  /** The generator failed (a model's inference threw): the loop stops. */
  failed(error: unknown): void;
}

/**
 * The hot loop from a market update to a decision: the update joins the feature windows, the generator reads
 * the features, and `decide` weighs its signal against the position. A rule's answer is decided on at once; a
 * model's (a promise) when it comes, and until then updates only join the windows, so the model always reads
 * the latest features and never falls behind the feed. A hold renews the position's holding period in the
 * loop; only an order decision leaves it, once. The windows (`calculator`) may outlive the loop: a feed
 * that keeps them warm across decisions hands them to each new loop.
 */
export class SignalLoop {
  readonly #calculator: FeatureCalculator;
  readonly #features = emptyFeatures();
  readonly #signal: Signal = { strength: 0, confidence: 0, holdingPeriodMs: 0 };
  readonly #position: SignalPosition;
  #evaluating = false;
  #done = false;

  constructor(
    calculator: FeatureCalculator,
    private readonly generator: SignalGenerator,
    private readonly settings: SignalLoopSettings,
    position: SignalPosition,
    private readonly events: SignalLoopEvents,
    private readonly clock: () => number,
  ) {
    this.#calculator = calculator;
    this.#position = { ...position };
  }

  /** The position as the loop holds it: its holding period renewed by the signals since it started. */
  get position(): Readonly<SignalPosition> {
    return this.#position;
  }

  /** The features the latest evaluation read (the object is reused: copy what must outlive the next). */
  get features(): Readonly<Features> {
    return this.#features;
  }

  get done(): boolean {
    return this.#done;
  }

  /** An update joins the windows, and the loop evaluates them. */
  update(update: MarketUpdate): void {
    if (this.#done) return;
    if (update.trade) this.#calculator.addTrade(update.trade);
    this.#calculator.addSnapshot(update.snapshot);
    this.evaluate();
  }

  /** Evaluates the windows as they stand (a shared feed has just added an update to them). */
  evaluate(): void {
    if (this.#done || this.#evaluating) return;
    if (!this.#calculator.compute(this.#features) || this.#features.samples < this.settings.minSamples)
      return this.#decide(false);
    let answer: boolean | Promise<boolean>;
    try {
      answer = this.generator.generate(this.#features, this.#signal);
    } catch (error) {
      return this.#fail(error);
    }
    if (typeof answer === 'boolean') return this.#decide(answer);
    this.#evaluating = true;
    answer.then(
      (signalled) => {
        this.#evaluating = false;
        this.#decide(signalled);
      },
      (error: unknown) => this.#fail(error),
    );
  }

  /** No update for a while: closes a position whose holding period ran out. */
  expire(): void {
    if (!this.#done && !this.#evaluating) this.#decide(false);
  }

  #decide(signalled: boolean): void {
    if (this.#done) return;
    const signal = signalled ? this.#signal : undefined;
    const decision = decide(signal, this.#position, this.clock(), this.settings.decision);
    if (decision.action === 'hold') {
      if (this.#position.quantity !== 0) this.#position.holdUntil = decision.holdUntil;
      return;
    }
    this.#done = true;
    this.events.decided(decision, signal && { ...signal });
  }

  #fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.events.failed(error);
  }
}

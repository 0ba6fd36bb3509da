import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ConnectorFactory } from '../connectors/exchange-connector';
import { SignalGeneratorConfigSchema, type SignalGeneratorConfig } from '../domain/signal-config';
import { MarketKindSchema, VenueSchema } from '../domain/venues';
import type { Features } from '../signal/features';
import { imbalanceSignal, type Signal, type SignalGenerator } from '../signal/signal-generator';
import { SignalLoop, type OrderDecision } from '../signal/signal-loop';
import { WATCH_HEARTBEAT_MS } from './order-watch';
import { marketDataHubs, QUOTE_POLL_MS, touchFollower, type QuoteHub } from './quote-watch';
import { signalFeeds, type DepthBookStatus } from './signal-feeds';
import {
  committedModelFile,
  loadSignalModel,
  SignalModelError,
  type ModelSignalGenerator,
} from './signal-model';

export const SignalWatchInputSchema = z.object({
  venue: VenueSchema,
  market: MarketKindSchema,
  account: z.string().min(1),
  symbol: z.string().min(1),
  generator: SignalGeneratorConfigSchema,
  /** The feature windows (volatility and momentum; trade flow). */
  windowMs: z.number().int().positive(),
  minSamples: z.number().int().min(1),
  maxPosition: z.number().positive(),
  orderSizeFraction: z.number().gt(0).max(1),
  lotSize: z.number().positive(),
  allowShort: z.boolean(),
  /** The position as the workflow holds it (base units, signed), and until when its signal holds (ms). */
  position: z.number(),
  holdUntil: z.number(),
  /** Return `timeout` after this long without a decision. */
  maxWaitMs: z.number().int().min(0),
});
export type SignalWatchInput = z.input<typeof SignalWatchInputSchema>;

export interface SignalWatchResult {
  /** decision: an order to place; timeout: `maxWaitMs` passed without one; interrupted: a command arrived. */
  reason: 'decision' | 'timeout' | 'interrupted';
  decision?: OrderDecision & {
    signal: Signal | null;
    /** The touch the decision was taken on: an order crosses or joins it. */
    bid: string;
    ask: string;
    bidSize: string;
    askSize: string;
    /** Wall-clock ms when it was decided. */
    decidedAt: number;
    /** From the update that led to it to the decision, in µs (a model's inference included). */
    tickToDecisionMicros: number;
    /** The features it was decided on. */
    features: Features;
  };
  /** Until when the position's signal holds, renewed by the signals seen: the workflow keeps it. */
  holdUntil: number;
  /** Touch updates the loop read. */
  updates: number;
  /** Whether the venue's public trades fed the windows (trade-flow imbalance reads 0 without them). */
  tradeFlow: boolean;
  /** The L2 book behind the depth features; null where the venue streams no depth (the touch's sizes stand in). */
  depthBook: DepthBookStatus | null;
}

export interface SignalWatchDependencies {
  connectors: ConnectorFactory;
  hubFor?: (account: string) => QuoteHub;
  pollMs?: number;
  heartbeatMs?: number;
  /** The worker's warm feature feeds (one set per worker by default). */
  feeds?: ReturnType<typeof signalFeeds>;
}

export function createSignalWatchActivities(deps: SignalWatchDependencies) {
  const feeds =
    deps.feeds ??
    signalFeeds(touchFollower(deps.hubFor ?? marketDataHubs(deps.connectors), deps.pollMs ?? QUOTE_POLL_MS));
  const heartbeatMs = deps.heartbeatMs ?? WATCH_HEARTBEAT_MS;
  /** Models loaded once per worker, by name. */
  const models = new Map<string, Promise<ModelSignalGenerator>>();

  const generatorFor = async (config: SignalGeneratorConfig): Promise<SignalGenerator> => {
    if (config.kind === 'imbalance') return imbalanceSignal(config);
    let model = models.get(config.model);
    if (!model) {
      model = loadSignalModel(committedModelFile(config.model));
      models.set(config.model, model);
      model.catch(() => models.delete(config.model));
    }
    try {
      return await model;
    } catch (error) {
      // A model that cannot be used will not become usable by retrying: the strategy shows it, degraded.
      if (error instanceof SignalModelError)
        throw ApplicationFailure.nonRetryable(error.message, 'SignalModelError');
      throw error;
    }
  };

  return {
    /**
     * The signal strategy's hot loop (issue #17), long-running and heartbeating like the grid's watch:
     * follows the symbol's touch, keeps the features, runs the generator and weighs each signal against the
     * position, all in this process; returns with the first decision to order (or `timeout`, or
     * `interrupted` when the workflow cancels it). Only that decision crosses into the workflow.
     */
    async awaitSignalDecision(raw: SignalWatchInput): Promise<SignalWatchResult> {
      const parsed = SignalWatchInputSchema.safeParse(raw);
      if (!parsed.success)
        throw ApplicationFailure.nonRetryable(`signal watch input: ${parsed.error.message}`, 'InvalidInput');
      const input = parsed.data;
      const exchange = deps.connectors(input.venue, input.market, input.account);
      const generator = await generatorFor(input.generator);
      const context = Context.current();

      return new Promise<SignalWatchResult>((resolve, reject) => {
        let updates = 0;
        let tickStarted = 0;
        let done = false;
        let expiry: NodeJS.Timeout | undefined;
        const end = () => {
          if (done) return false;
          done = true;
          clearInterval(beating);
          clearTimeout(timer);
          clearTimeout(expiry);
          context.cancellationSignal.removeEventListener('abort', onCancel);
          feed.detach();
          return true;
        };
        const finish = (reason: SignalWatchResult['reason'], decision?: SignalWatchResult['decision']) => {
          if (end())
            resolve({
              reason,
              ...(decision && { decision }),
              holdUntil: loop.position.holdUntil,
              updates,
              tradeFlow: feed.trades,
              depthBook: feed.depth ?? null,
            });
        };
        const feed = feeds.attach(exchange, input, input.windowMs, {
          onQuote(quote, receivedAt) {
            if (done) return;
            tickStarted = receivedAt;
            touch = quote;
            updates++;
            loop.evaluate();
          },
          onError(error) {
            if (end()) reject(error instanceof Error ? error : new Error(String(error)));
          },
        });
        let touch = feed.latest;
        const loop = new SignalLoop(
          feed.calculator,
          generator,
          {
            minSamples: input.minSamples,
            decision: {
              maxPosition: input.maxPosition,
              orderSizeFraction: input.orderSizeFraction,
              lotSize: input.lotSize,
              allowShort: input.allowShort,
            },
          },
          { quantity: input.position, holdUntil: input.holdUntil },
          {
            decided(decision, signal) {
              const micros = (performance.now() - tickStarted) * 1_000;
              finish('decision', {
                ...decision,
                signal: signal ?? null,
                bid: touch?.bid ?? '0',
                ask: touch?.ask ?? '0',
                bidSize: touch?.bidSize ?? '0',
                askSize: touch?.askSize ?? '0',
                decidedAt: Date.now(),
                tickToDecisionMicros: Math.round(micros * 100) / 100,
                features: { ...loop.features },
              });
            },
            failed(error) {
              // An inference that throws will throw again: the strategy shows it, degraded.
              const message = error instanceof Error ? error.message : String(error);
              if (end())
                reject(
                  ApplicationFailure.nonRetryable(
                    `signal generator ${generator.name} failed: ${message}`,
                    'SignalModelError',
                  ),
                );
            },
          },
          Date.now,
        );
        const onCancel = () => finish('interrupted');
        // A position whose holding period runs out in a quiet market is closed without waiting for a quote;
        // signals renew the period meanwhile, so the timer follows the loop's.
        const armExpiry = () => {
          if (input.position === 0 || done) return;
          expiry = setTimeout(
            () => {
              tickStarted = performance.now();
              loop.expire();
              armExpiry();
            },
            Math.max(0, loop.position.holdUntil - Date.now()) + 1,
          );
        };
        armExpiry();

        context.heartbeat();
        const beating = setInterval(() => context.heartbeat(), heartbeatMs);
        const timer = setTimeout(() => finish('timeout'), input.maxWaitMs);
        if (context.cancellationSignal.aborted) return finish('interrupted');
        context.cancellationSignal.addEventListener('abort', onCancel);
        // The windows as the feed kept them: a signal standing when the last order went is weighed at once.
        if (touch) {
          tickStarted = performance.now();
          loop.evaluate();
        }
      });
    },
  };
}

import type { z } from 'zod';
import type { VenueRef } from '../../domain/venues';
import type { AccountChange } from '../accounts/account-messages';
import type { SymbolRisk, StrategyHealth } from '../strategies/strategy-types';
import type { SymbolConfig, SymbolStatus } from './symbol-config';
import type { SymbolCommandSchema } from './symbol-messages';

/** Why a strategy's orders are being cancelled with its `stop` hook. */
export type StopReason = 'remove' | 'replace' | 'failure';

/**
 * What the symbol workflow must do next, in order. The workflow carries each one out (strategy hooks
 * await activities) and reports back what the machine cannot know: when a strategy next wants a step,
 * how it is doing, and which hook failed.
 */
export type SymbolEffect =
  /** Build the strategy instance of this slot (its position in the configuration). */
  | {
      type: 'create';
      slot: number;
      name: string;
      venue: VenueRef;
      risk: SymbolRisk;
      params: unknown;
      carried: unknown;
    }
  /** Forget every instance (the configuration replaced them). */
  | { type: 'discard' }
  | { type: 'start' | 'step' | 'pause'; slot: number }
  /** The strategy cancels everything it holds (`stopped` is the answer when that worked). */
  | { type: 'stop'; slot: number; reason: StopReason }
  | { type: 'update'; slot: number; params: unknown }
  /** Ask the slot's instance when it next wants a step (`scheduled`) and how it is (`reported`). */
  | { type: 'schedule'; slot: number }
  /** The configuration's strategies or venues changed: publish them as search attributes. */
  | { type: 'publish'; config: SymbolConfig }
  /** Every strategy is stopped: tell the shard, then end the workflow. */
  | { type: 'finish' }
  /** Before anything trades: cancel and settle the orders a dead chain of this symbol left on this venue. */
  | { type: 'sweep'; venue: VenueRef; scope: string }
  /** The account workflow saw a position change Keel did not cause: for the slot's `onAccountChange`. */
  | { type: 'accountChange'; slot: number; change: AccountChange }
  /** An operator's command (`id`: which update awaits the answer) for the slot's `command` hook. */
  | { type: 'command'; slot: number; id: number; input: unknown };

export interface SymbolMachineInput {
  config: SymbolConfig;
  paused: boolean;
  /** Whether a strategy name is registered (the configuration was validated, so normally always). */
  knows: (name: string) => boolean;
  /** Client order ids the chain has issued so far (carried across continue-as-new). */
  ordersIssued?: number;
  /** Failures carried across continue-as-new: they stay until an operator resumes. */
  failures?: FailureSnapshot;
}

/** The failures a run hands to the next one. */
export interface FailureSnapshot {
  /** By strategy name: why it failed. */
  strategies: Record<string, string>;
  /** Failures outside any one strategy. */
  symbol: string[];
}

interface Slot {
  slot: number;
  name: string;
  dueAt: number | undefined;
  health: StrategyHealth;
  /** Why a hook of this strategy failed; it takes no step until an operator resumes it. */
  failure?: string;
  /** Whether the failure policy already tried to cancel its orders (never twice for one failure). */
  cancelTried?: boolean;
  /** Removal only: its stop hook succeeded. */
  stopped?: boolean;
}

/** How long a removal whose cancels failed waits before it tries them again. */
export const STOP_RETRY_MS = 30_000;

/**
 * The symbol workflow's decisions, with no Temporal in them: which strategies exist, whether they trade,
 * which hook each command calls, when each strategy is due, and what a failure changes. Handlers in,
 * effects out; unit-tested as plain code (test/unit/symbol/symbol-machine.test.ts).
 */
export class SymbolMachine {
  #config: SymbolConfig;
  #paused: boolean;
  #settled = false;
  /** A pause was asked for and its strategies are still cancelling their orders. */
  #pausing = false;
  #removing = false;
  #retryStopsAt: number | undefined;
  /** Failures outside any one strategy (replacing instances, the workflow itself). */
  #problems: string[] = [];
  #slots: Slot[] = [];
  #ordersIssued: number;
  readonly #knows: (name: string) => boolean;
  readonly #carriedFailures: Record<string, string>;

  constructor(input: SymbolMachineInput) {
    this.#config = input.config;
    this.#paused = input.paused;
    this.#knows = input.knows;
    this.#ordersIssued = input.ordersIssued ?? 0;
    this.#carriedFailures = input.failures?.strategies ?? {};
    this.#problems = [...(input.failures?.symbol ?? [])];
  }

  /** What the next run must know of failures (see `SymbolMachineInput.failures`). */
  failures(): FailureSnapshot {
    const strategies: Record<string, string> = {};
    for (const entry of this.#slots) if (entry.failure !== undefined) strategies[entry.name] = entry.failure;
    return { strategies, symbol: [...this.#problems] };
  }

  get config(): SymbolConfig {
    return this.#config;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get ordersIssued(): number {
    return this.#ordersIssued;
  }

  /**
   * Stopping while being removed; failed when nothing trades because of failures; degraded when a
   * strategy failed or reports trouble; otherwise paused (pausing until its strategies have cancelled
   * their orders) or running (starting until the first settle).
   */
  get status(): SymbolStatus {
    if (this.#removing) return 'stopping';
    if (!this.#settled) return 'starting';
    const failed = this.#slots.filter((entry) => entry.failure !== undefined).length;
    if ((failed > 0 && failed === this.#slots.length) || this.#problems.length > 0) return 'failed';
    if (failed > 0 || this.#slots.some((entry) => entry.health.status === 'degraded')) return 'degraded';
    if (!this.#paused) return 'running';
    return this.#pausing ? 'pausing' : 'paused';
  }

  /** Everything that is wrong, named: for the API, the query, the shard and the logs. */
  get problems(): string[] {
    return [
      ...this.#problems,
      ...this.#slots.flatMap((entry) => [
        ...(entry.failure === undefined ? [] : [`${entry.name} failed: ${entry.failure}`]),
        ...entry.health.problems.map((problem) => `${entry.name}: ${problem}`),
      ]),
    ];
  }

  /** The slots that hold a strategy instance, in configuration order. */
  get slots(): readonly number[] {
    return this.#slots.map((entry) => entry.slot);
  }
  nameOf(slot: number): string | undefined {
    return this.#entry(slot)?.name;
  }
  failureOf(slot: number): string | undefined {
    return this.#entry(slot)?.failure;
  }

  /**
   * The next number of the chain's order counter. Every client order id of the chain takes one, whichever
   * strategy instance asks, so replacing instances (new venues, limits or strategies) never repeats an id.
   */
  nextOrderSequence(): number {
    const sequence = this.#ordersIssued;
    this.#ordersIssued += 1;
    return sequence;
  }

  /**
   * The first run starts its strategies unless paused; a continued run picks up where the last one was
   * (its strategies carry their state and only need to know when they are due).
   */
  boot(carried: Record<string, unknown> | undefined, sweepOrdersOf?: string): SymbolEffect[] {
    const venues = [...new Set(this.#config.venues.map((venue) => JSON.stringify(venue)))];
    const sweeps = sweepOrdersOf
      ? venues.map((venue): SymbolEffect => ({
          type: 'sweep',
          venue: JSON.parse(venue) as VenueRef,
          scope: sweepOrdersOf,
        }))
      : [];
    const effects = [...sweeps, ...this.#instantiate(carried)];
    for (const entry of this.#slots) {
      const failure = this.#carriedFailures[entry.name];
      if (failure !== undefined) Object.assign(entry, { failure, cancelTried: true });
    }
    if (carried)
      effects.push(
        ...this.#slots.filter((entry) => entry.failure === undefined).map((entry) => schedule(entry.slot)),
      );
    else if (!this.#paused) effects.push(...this.#startAll());
    return effects;
  }

  /** One control command from the shard. */
  handle(command: z.output<typeof SymbolCommandSchema>): SymbolEffect[] {
    if (command.kind === 'stop') {
      this.#removing = true;
      return this.#stops();
    }
    if (command.kind === 'pause') {
      if (this.#paused) return [];
      this.#paused = true;
      this.#pausing = true;
      return this.#slots.map((entry) => hook('pause', entry.slot));
    }
    if (command.kind === 'resume') {
      // Resume is also how an operator retries a failed strategy (after fixing what failed it).
      const failed = this.#slots.filter((entry) => entry.failure !== undefined);
      this.#problems = [];
      for (const entry of failed) this.#recover(entry);
      if (this.#paused) {
        this.#paused = false;
        return this.#startAll();
      }
      return failed.flatMap((entry) => [hook('start', entry.slot), schedule(entry.slot)]);
    }
    this.#problems = [];
    return [...this.#update(command.config), { type: 'publish', config: this.#config }];
  }

  /** The effects of `boot` or `handle` are carried out. */
  settle(): void {
    this.#settled = true;
    this.#pausing = false;
  }

  /** The instance's answer to a `schedule` effect: due in `delayMs`, or undefined to wait for a message. */
  scheduled(slot: number, delayMs: number | undefined, now: number): void {
    const entry = this.#entry(slot);
    if (entry) entry.dueAt = delayMs === undefined || entry.failure !== undefined ? undefined : now + delayMs;
  }

  /** How the strategy says it is doing (problems it found, such as orders the venue no longer knows). */
  reported(slot: number, health: StrategyHealth): void {
    const entry = this.#entry(slot);
    if (entry) entry.health = health;
  }

  /** A `stop` effect worked. */
  stopped(slot: number, reason: StopReason): void {
    const entry = this.#entry(slot);
    if (entry && reason === 'remove') entry.stopped = true;
  }

  /**
   * A hook of the slot's strategy failed (an activity failed for good, or the strategy threw). The
   * strategy takes no more steps and, by the symbol's `onFailure` policy, cancels its orders; an operator
   * resumes it. During removal the cancels are tried again until they work.
   */
  failed(slot: number, effect: SymbolEffect, reason: string, now: number): SymbolEffect[] {
    if (effect.type === 'stop' && effect.reason === 'replace') {
      this.#problems.push(
        `replacing ${this.nameOf(slot) ?? `slot ${slot}`}: cancelling its orders failed: ${reason}`,
      );
      return [];
    }
    const entry = this.#entry(slot);
    if (!entry) return [];
    if (effect.type === 'stop' && effect.reason === 'remove') {
      entry.failure = `cancelling its orders on removal failed: ${reason}`;
      this.#retryStopsAt = now + STOP_RETRY_MS;
      return [];
    }
    const cancelFailed = effect.type === 'stop' && effect.reason === 'failure';
    entry.failure = cancelFailed ? `${entry.failure ?? ''}; cancelling its orders failed: ${reason}` : reason;
    entry.dueAt = undefined;
    if (cancelFailed || entry.cancelTried || this.#config.onFailure !== 'cancel-orders') return [];
    entry.cancelTried = true;
    return [{ type: 'stop', slot, reason: 'failure' }];
  }

  /** Something outside the strategies failed (a bug in the workflow): nothing trades until an operator acts. */
  crashed(reason: string): void {
    this.#problems.push(reason);
    for (const entry of this.#slots) entry.dueAt = undefined;
  }

  /**
   * Which slot takes an operator's command to strategy `name` now, or why none does. Asked by the update's
   * validator before anything is recorded, and again when the command's turn comes.
   */
  commandTarget(name: string): { slot: number } | { refused: string } {
    if (this.#removing) return { refused: 'the symbol is being removed' };
    const entry = this.#slots.find((candidate) => candidate.name === name);
    if (!entry) {
      const names = this.#config.strategies.map((strategy) => strategy.name).join(', ') || 'none';
      return { refused: `no ${name} strategy on this symbol (its strategies: ${names})` };
    }
    if (this.#paused) return { refused: 'the symbol is paused: resume it first' };
    if (this.#problems.length > 0)
      return { refused: `the symbol has failed (${this.#problems.join('; ')}): resume it first` };
    if (entry.failure !== undefined)
      return { refused: `${name} failed (${entry.failure}): resume the symbol first` };
    return { slot: entry.slot };
  }

  /** The effects of an operator's command to the slot's strategy: its hook, then when it is next due. */
  /**
   * A position changed on the venue behind Keel's back: every strategy still standing hears it, paused or
   * not, since closing what is left exposed protects the account rather than trades.
   */
  accountChanged(change: AccountChange): SymbolEffect[] {
    if (this.#removing) return [];
    return this.#slots
      .filter((entry) => entry.failure === undefined && !entry.stopped)
      .flatMap((entry) => [
        { type: 'accountChange' as const, slot: entry.slot, change },
        schedule(entry.slot),
      ]);
  }

  command(slot: number, id: number, input: unknown): SymbolEffect[] {
    return [{ type: 'command', slot, id, input }, schedule(slot)];
  }

  /** When the machine next wants to act: the earliest due step, or a retry of failed removal cancels. */
  nextDueAt(): number | undefined {
    if (this.#removing) return this.#retryStopsAt;
    if (this.#paused || this.#problems.length > 0) return undefined;
    const due = this.#slots.flatMap((entry) =>
      entry.dueAt === undefined || entry.failure !== undefined ? [] : [entry.dueAt],
    );
    return due.length > 0 ? Math.min(...due) : undefined;
  }

  /** The effects of the slot's step if it is due at `now`. */
  stepIfDue(slot: number, now: number): SymbolEffect[] {
    const entry = this.#entry(slot);
    if (this.#paused || this.#removing || this.#problems.length > 0) return [];
    if (entry?.dueAt === undefined || entry.failure !== undefined || entry.dueAt > now) return [];
    return [hook('step', slot), schedule(slot)];
  }

  /** During a removal whose cancels failed: the stops to try again once their time has come. */
  retryStopsIfDue(now: number): SymbolEffect[] {
    if (!this.#removing || this.#retryStopsAt === undefined || this.#retryStopsAt > now) return [];
    this.#retryStopsAt = undefined;
    return this.#stops();
  }

  /** Whether the removal may end: every strategy cancelled what it held. */
  readyToFinish(): boolean {
    return this.#removing && this.#slots.every((entry) => entry.stopped);
  }

  /**
   * New configuration. The same strategies on the same venues under the same risk limits are handed their
   * new params (paused or not); anything else stops the old instances and starts new ones, which take
   * their client order ids from the same chain counter as the old ones.
   */
  #update(next: SymbolConfig): SymbolEffect[] {
    const shape = (config: SymbolConfig) =>
      JSON.stringify([
        config.venues,
        config.risk,
        config.strategies.map((strategy) => [strategy.name, strategy.venue]),
      ]);
    const previous = this.#slots;
    if (shape(next) === shape(this.#config)) {
      this.#config = next;
      // Paused instances hear their new params too: they keep them and trade with them when resumed. A
      // failed one is left alone until resumed.
      return previous.flatMap((entry) =>
        entry.failure === undefined
          ? [update(entry.slot, next.strategies[entry.slot]?.params ?? {}), schedule(entry.slot)]
          : [],
      );
    }
    const stops = previous.map((entry): SymbolEffect => ({
      type: 'stop',
      slot: entry.slot,
      reason: 'replace',
    }));
    this.#config = next;
    const created = this.#instantiate(undefined);
    return [...stops, { type: 'discard' }, ...created, ...(this.#paused ? [] : this.#startAll())];
  }

  #instantiate(carried: Record<string, unknown> | undefined): SymbolEffect[] {
    const config = this.#config;
    const effects: SymbolEffect[] = [];
    this.#slots = [];
    config.strategies.forEach((strategy, slot) => {
      const venue = config.venues[strategy.venue];
      if (!this.#knows(strategy.name) || !venue) return;
      this.#slots.push({ slot, name: strategy.name, dueAt: undefined, health: HEALTHY });
      effects.push({
        type: 'create',
        slot,
        name: strategy.name,
        venue,
        risk: config.risk,
        params: strategy.params,
        carried: carried?.[strategy.name],
      });
    });
    return effects;
  }

  #startAll(): SymbolEffect[] {
    return this.#slots
      .filter((entry) => entry.failure === undefined)
      .flatMap((entry) => [hook('start', entry.slot), schedule(entry.slot)]);
  }

  #stops(): SymbolEffect[] {
    return [
      ...this.#slots
        .filter((entry) => !entry.stopped)
        .map((entry): SymbolEffect => ({ type: 'stop', slot: entry.slot, reason: 'remove' })),
      { type: 'finish' },
    ];
  }

  #recover(entry: Slot): void {
    delete entry.failure;
    delete entry.cancelTried;
  }

  #entry(slot: number): Slot | undefined {
    return this.#slots.find((candidate) => candidate.slot === slot);
  }
}

const HEALTHY: StrategyHealth = { status: 'ok', problems: [] };
const hook = (type: 'start' | 'step' | 'pause', slot: number): SymbolEffect => ({ type, slot });
const update = (slot: number, params: unknown): SymbolEffect => ({ type: 'update', slot, params });
const schedule = (slot: number): SymbolEffect => ({ type: 'schedule', slot });

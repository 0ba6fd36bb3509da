import type { z } from 'zod';
import type { VenueRef } from '../../domain/venues';
import type { RiskLimits } from '../strategies/strategy-types';
import type { SymbolConfig, SymbolStatus } from './symbol-config';
import type { SymbolCommandSchema } from './symbol-messages';

/**
 * What the symbol workflow must do next, in order. The workflow carries each one out (strategy hooks
 * await activities) and reports back what the machine cannot know: when a strategy next wants a step.
 */
export type SymbolEffect =
  /** Build the strategy instance of this slot (its position in the configuration). */
  | {
      type: 'create';
      slot: number;
      name: string;
      venue: VenueRef;
      risk: RiskLimits;
      params: unknown;
      carried: unknown;
    }
  /** Forget every instance (the configuration replaced them). */
  | { type: 'discard' }
  | { type: 'start' | 'step' | 'pause' | 'stop'; slot: number }
  | { type: 'update'; slot: number; params: unknown }
  /** Ask the slot's instance when it next wants a step (`scheduled` is the answer). */
  | { type: 'schedule'; slot: number }
  /** The configuration's strategies or venues changed: publish them as search attributes. */
  | { type: 'publish'; config: SymbolConfig }
  /** Everything is cancelled: tell the shard, then end the workflow. */
  | { type: 'finish' };

export interface SymbolMachineInput {
  config: SymbolConfig;
  paused: boolean;
  /** Strategy state carried from the previous run (continue-as-new), by strategy name. */
  carried?: Record<string, unknown>;
  /** Whether a strategy name is registered (the configuration was validated, so normally always). */
  knows: (name: string) => boolean;
  /** Client order ids the chain has issued so far (carried across continue-as-new). */
  ordersIssued?: number;
}

interface Slot {
  slot: number;
  name: string;
  dueAt: number | undefined;
}

/**
 * The symbol workflow's decisions, with no Temporal in them: which strategies exist, whether they trade,
 * which hook each command calls and when each strategy is due. Handlers in, effects out; unit-tested as
 * plain code (test/unit/symbol/symbol-machine.test.ts).
 */
export class SymbolMachine {
  #config: SymbolConfig;
  #paused: boolean;
  #status: SymbolStatus = 'starting';
  #slots: Slot[] = [];
  #ordersIssued: number;
  readonly #knows: (name: string) => boolean;

  constructor(input: SymbolMachineInput) {
    this.#config = input.config;
    this.#paused = input.paused;
    this.#knows = input.knows;
    this.#ordersIssued = input.ordersIssued ?? 0;
  }

  get config(): SymbolConfig {
    return this.#config;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get status(): SymbolStatus {
    return this.#status;
  }
  /** The slots that hold a strategy instance, in configuration order. */
  get slots(): readonly number[] {
    return this.#slots.map((entry) => entry.slot);
  }
  get ordersIssued(): number {
    return this.#ordersIssued;
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

  nameOf(slot: number): string | undefined {
    return this.#slots.find((entry) => entry.slot === slot)?.name;
  }

  /**
   * The first run starts its strategies unless paused; a continued run picks up where the last one was
   * (its strategies carry their state and only need to know when they are due).
   */
  boot(carried: Record<string, unknown> | undefined): SymbolEffect[] {
    const effects = this.#instantiate(carried);
    if (carried) effects.push(...this.#slots.map((entry) => schedule(entry.slot)));
    else if (!this.#paused) effects.push(...this.#startAll());
    return effects;
  }

  /** One control command from the shard. */
  handle(command: z.output<typeof SymbolCommandSchema>): SymbolEffect[] {
    const effects: SymbolEffect[] = [];
    if (command.kind === 'stop') {
      this.#status = 'stopping';
      return [...this.#slots.map((entry) => hook('stop', entry.slot)), { type: 'finish' }];
    }
    if (command.kind === 'pause' && !this.#paused) {
      this.#paused = true;
      effects.push(...this.#slots.map((entry) => hook('pause', entry.slot)));
    } else if (command.kind === 'resume' && this.#paused) {
      this.#paused = false;
      effects.push(...this.#startAll());
    } else if (command.kind === 'update') {
      effects.push(...this.#update(command.config), { type: 'publish', config: this.#config });
    }
    return effects;
  }

  /** The effects of `boot` or `handle` are carried out: the symbol is running or paused. */
  settle(): void {
    this.#status = this.#paused ? 'paused' : 'running';
  }

  /** The instance's answer to a `schedule` effect: due in `delayMs`, or undefined to wait for a message. */
  scheduled(slot: number, delayMs: number | undefined, now: number): void {
    const entry = this.#slots.find((candidate) => candidate.slot === slot);
    if (entry) entry.dueAt = delayMs === undefined ? undefined : now + delayMs;
  }

  /** When the next strategy step is due; undefined while paused or when none waits for a timer. */
  nextDueAt(): number | undefined {
    if (this.#paused) return undefined;
    const due = this.#slots.flatMap((entry) => (entry.dueAt === undefined ? [] : [entry.dueAt]));
    return due.length > 0 ? Math.min(...due) : undefined;
  }

  /** The effects of the slot's step if it is due at `now`. */
  stepIfDue(slot: number, now: number): SymbolEffect[] {
    const entry = this.#slots.find((candidate) => candidate.slot === slot);
    if (this.#paused || entry?.dueAt === undefined || entry.dueAt > now) return [];
    return [hook('step', slot), schedule(slot)];
  }

  /**
   * New configuration. The same strategies on the same venues under the same risk limits are handed their
   * new params (paused or not); anything else stops the old instances and starts new ones, which take
   * their client order ids from the same chain counter as the old ones.
   */
  #update(next: SymbolConfig): SymbolEffect[] {
    const shape = (config: SymbolConfig) =>
      JSON.stringify([config.venues, config.strategies.map((strategy) => [strategy.name, strategy.venue])]);
    const sameShape =
      shape(next) === shape(this.#config) && JSON.stringify(next.risk) === JSON.stringify(this.#config.risk);
    const previous = this.#slots;
    if (sameShape) {
      this.#config = next;
      // Paused instances hear their new params too: they keep them and trade with them when resumed.
      return previous.flatMap((entry) => [
        update(entry.slot, next.strategies[entry.slot]?.params ?? {}),
        schedule(entry.slot),
      ]);
    }
    const stops = previous.map((entry) => hook('stop', entry.slot));
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
      this.#slots.push({ slot, name: strategy.name, dueAt: undefined });
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
    return this.#slots.flatMap((entry) => [hook('start', entry.slot), schedule(entry.slot)]);
  }
}

const hook = (type: 'start' | 'step' | 'pause' | 'stop', slot: number): SymbolEffect => ({ type, slot });
const update = (slot: number, params: unknown): SymbolEffect => ({ type: 'update', slot, params });
const schedule = (slot: number): SymbolEffect => ({ type: 'schedule', slot });

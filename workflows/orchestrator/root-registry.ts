import { z } from 'zod';
import { shardWorkflowId, symbolWorkflowId } from '../../domain/ids';
import type { SymbolConfig } from '../symbol/symbol-config';
import {
  AddSymbolSchema,
  PauseResumeSchema,
  RemoveSymbolSchema,
  UpdateSymbolSchema,
  type ControlResult,
  type OrchestratorStatus,
  type RootSymbolEntry,
  type ShardCommand,
} from './messages';
import { shardForSymbol } from './shard-routing';

/** A control message of the root, validated. */
export type ControlCommand =
  | { kind: 'add'; symbol: string; config: SymbolConfig }
  | { kind: 'remove'; symbol: string }
  | { kind: 'update'; symbol: string; config: SymbolConfig }
  | { kind: 'pause' | 'resume'; symbol?: string | undefined };

const parsers = {
  addSymbol: (payload: unknown): ControlCommand => ({ kind: 'add', ...AddSymbolSchema.parse(payload) }),
  removeSymbol: (payload: unknown): ControlCommand => ({
    kind: 'remove',
    ...RemoveSymbolSchema.parse(payload),
  }),
  updateSymbol: (payload: unknown): ControlCommand => ({
    kind: 'update',
    ...UpdateSymbolSchema.parse(payload),
  }),
  pause: (payload: unknown): ControlCommand => ({ kind: 'pause', ...PauseResumeSchema.parse(payload) }),
  resume: (payload: unknown): ControlCommand => ({ kind: 'resume', ...PauseResumeSchema.parse(payload) }),
};
/** The names the root's control signals and updates share. */
export type ControlKind = keyof typeof parsers;

const reason = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ');

/** What the root carries across continue-as-new. */
export interface RegistrySnapshot {
  symbols: RootSymbolEntry[];
  globalPaused: boolean;
  droppedSignals: number;
}

/**
 * The root orchestrator's decisions, with no Temporal in them: which symbols are registered on which
 * shard, whether a control message is acceptable, and which shard commands accepting it produces (in
 * order, per shard). The workflow delivers those commands and answers the callers.
 */
export class RootRegistry {
  readonly #symbols: Map<string, RootSymbolEntry>;
  #globalPaused: boolean;
  #droppedSignals: number;

  constructor(
    private readonly shardCount: number,
    private readonly idPrefix: string,
    carried?: RegistrySnapshot,
  ) {
    this.#symbols = new Map((carried?.symbols ?? []).map((entry) => [entry.symbol, entry]));
    this.#globalPaused = carried?.globalPaused ?? false;
    this.#droppedSignals = carried?.droppedSignals ?? 0;
  }

  /**
   * Parses and checks a control payload. Throws an Error that says why it is refused: an update
   * validator rejects with it, a signal handler logs it and drops the signal.
   */
  validate(kind: ControlKind, payload: unknown): ControlCommand {
    let command: ControlCommand;
    try {
      command = parsers[kind](payload);
    } catch (error) {
      if (error instanceof z.ZodError) throw new Error(`invalid ${kind}: ${reason(error)}`, { cause: error });
      throw error;
    }
    const refused = this.#refusal(command);
    if (refused) throw new Error(`${kind} refused: ${refused}`);
    return command;
  }

  /** A signal the root could not accept: counted, so `status` shows it. */
  dropped(): void {
    this.#droppedSignals += 1;
  }

  /** Applies a validated command: the registry changes at once; the returned commands go to their shards in order. */
  apply(command: ControlCommand): {
    result: ControlResult;
    sends: Array<{ shard: number; command: ShardCommand }>;
  } {
    if (command.kind === 'add') {
      const shard = shardForSymbol(command.symbol, this.shardCount);
      const entry: RootSymbolEntry = {
        symbol: command.symbol,
        shard,
        workflowId: symbolWorkflowId(this.idPrefix, command.symbol),
        paused: this.#globalPaused,
      };
      this.#symbols.set(command.symbol, entry);
      const { config } = command;
      return oneSymbol(entry, 'added', { kind: 'add', symbol: entry.symbol, config, paused: entry.paused });
    }
    if (command.kind === 'remove' || command.kind === 'update') {
      const entry = this.#registered(command.symbol);
      if (command.kind === 'remove') this.#symbols.delete(command.symbol);
      const shardCommand: ShardCommand =
        command.kind === 'remove'
          ? { kind: 'remove', symbol: command.symbol }
          : { kind: 'update', symbol: command.symbol, config: command.config };
      return oneSymbol(entry, command.kind === 'remove' ? 'removing' : 'updated', shardCommand);
    }
    const paused = command.kind === 'pause';
    const outcome = paused ? 'paused' : 'resumed';
    if (command.symbol) {
      const entry = this.#registered(command.symbol);
      entry.paused = paused;
      return oneSymbol(entry, outcome, { kind: command.kind, symbol: entry.symbol });
    }
    this.#globalPaused = paused;
    for (const entry of this.#symbols.values()) entry.paused = paused;
    return {
      result: { outcome, affected: this.#symbols.size },
      sends: Array.from({ length: this.shardCount }, (_, shard) => ({
        shard,
        command: { kind: command.kind },
      })),
    };
  }

  list(): RootSymbolEntry[] {
    return [...this.#symbols.values()];
  }

  get(symbol: string): RootSymbolEntry | null {
    return this.#symbols.get(symbol) ?? null;
  }

  status(workflowId: string): OrchestratorStatus {
    const counts = Array.from({ length: this.shardCount }, () => 0);
    for (const entry of this.#symbols.values()) counts[entry.shard] = (counts[entry.shard] ?? 0) + 1;
    return {
      workflowId,
      idPrefix: this.idPrefix,
      shardCount: this.shardCount,
      globalPaused: this.#globalPaused,
      symbolCount: this.#symbols.size,
      shards: counts.map((count, index) => ({
        index,
        workflowId: shardWorkflowId(this.idPrefix, index),
        symbols: count,
      })),
      droppedSignals: this.#droppedSignals,
    };
  }

  snapshot(): RegistrySnapshot {
    return { symbols: this.list(), globalPaused: this.#globalPaused, droppedSignals: this.#droppedSignals };
  }

  /** Business checks shared by validators (reject) and signal handlers (drop). */
  #refusal(command: ControlCommand): string | undefined {
    const known = command.symbol === undefined || this.#symbols.has(command.symbol);
    if (command.kind === 'add') return known ? `${command.symbol} is already registered` : undefined;
    return known ? undefined : `${command.symbol} is not registered`;
  }

  #registered(symbol: string): RootSymbolEntry {
    const entry = this.#symbols.get(symbol);
    if (!entry) throw new Error(`${symbol} is not registered`);
    return entry;
  }
}

/** A command that concerns one registered symbol: its receipt, and the one command for its shard. */
function oneSymbol(entry: RootSymbolEntry, outcome: ControlResult['outcome'], command: ShardCommand) {
  const { symbol, shard, workflowId } = entry;
  return { result: { symbol, shard, workflowId, outcome, affected: 1 }, sends: [{ shard, command }] };
}

/**
 * Results of recent updates by update id, so a client retrying an update (even across continue-as-new)
 * gets the same answer instead of a second application. Keeps the newest `capacity`.
 */
export class CompletedUpdates {
  readonly #results: Map<string, ControlResult>;

  constructor(
    carried: Array<[string, ControlResult]> = [],
    private readonly capacity = 500,
  ) {
    this.#results = new Map(carried);
  }

  get(id: string | undefined): ControlResult | undefined {
    return id === undefined ? undefined : this.#results.get(id);
  }

  remember(id: string | undefined, result: ControlResult): void {
    if (id === undefined) return;
    this.#results.set(id, result);
    if (this.#results.size > this.capacity) {
      const oldest = this.#results.keys().next();
      if (!oldest.done) this.#results.delete(oldest.value);
    }
  }

  entries(): Array<[string, ControlResult]> {
    return [...this.#results.entries()];
  }
}

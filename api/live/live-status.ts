import type { LiveMessage } from './live-messages';

/** A message with the key it replaces: a symbol's status, an account's balances, the risk states, a tracking. */
export interface KeyedMessage {
  key: string;
  /** The symbol it concerns, for the feed's filter; undefined: every connection gets it. */
  symbol: string | undefined;
  message: LiveMessage;
}

/** Where the feed's state messages come from; each read may fail alone (that source waits for the next tick). */
export type StatusSource = () => Promise<KeyedMessage[]>;

/** The messages whose content differs from what was last sent under their key (new keys included). Pure. */
export function changedMessages(sent: Map<string, string>, next: readonly KeyedMessage[]): KeyedMessage[] {
  const changed: KeyedMessage[] = [];
  for (const keyed of next) {
    const text = JSON.stringify(keyed.message);
    if (sent.get(keyed.key) === text) continue;
    sent.set(keyed.key, text);
    changed.push(keyed);
  }
  return changed;
}

/**
 * State that is not the ledger's (symbols' status, risk states, accounts, scanner trackings), read every
 * `intervalMs` while someone follows the feed, and told when it changes. A new connection gets the latest of
 * each key at once (`current`).
 */
export class LiveStatus {
  readonly #sent = new Map<string, string>();
  readonly #latest = new Map<string, KeyedMessage>();
  readonly #listeners = new Set<(keyed: KeyedMessage) => void>();
  #timer: NodeJS.Timeout | undefined;
  #reading = false;

  constructor(
    private readonly sources: readonly StatusSource[],
    private readonly intervalMs = 2_000,
  ) {}

  subscribe(listener: (keyed: KeyedMessage) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.read(), this.intervalMs).unref();
      void this.read();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size > 0) return;
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
  }

  current(): KeyedMessage[] {
    return [...this.#latest.values()];
  }

  /** One round of reads; a round still going makes the next tick wait for the one after. */
  async read(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      const results = await Promise.allSettled(this.sources.map((source) => source()));
      const read = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
      for (const keyed of changedMessages(this.#sent, read)) {
        this.#latest.set(keyed.key, keyed);
        for (const listener of this.#listeners) listener(keyed);
      }
    } finally {
      this.#reading = false;
    }
  }

  close(): void {
    this.#listeners.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

import type { SimExchange } from '../../exchange';
import { ExecutionTracker } from './executions';
import type { Execution } from './executions';

type Kind = 'spot' | 'perp';

interface Feed {
  listeners: Set<(x: Execution) => void>;
  stop: () => void;
}

/**
 * The execution reports of each account on each market of one simulator venue, for the user-data
 * streams: one order listener and one tracker per account and market while any stream follows it, so
 * every subscriber sees the same reports.
 */
export class AccountFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly exchange: SimExchange,
    private readonly venue: string,
  ) {}

  /** Calls `listener` with each report of `account` on `kind` from now on; returns the unsubscribe. */
  follow(kind: Kind, account: string, listener: (x: Execution) => void): () => void {
    const key = `${kind}/${account}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      const tracker = new ExecutionTracker(this.exchange.market(this.venue, kind), account);
      const listeners = new Set<(x: Execution) => void>();
      const stop = this.exchange.onOrderUpdate(this.venue, kind, account, (order) => {
        for (const x of tracker.executions(order)) for (const l of [...listeners]) l(x);
      });
      feed = { listeners, stop };
      this.feeds.set(key, feed);
    }
    const f = feed;
    f.listeners.add(listener);
    return () => {
      if (!f.listeners.delete(listener) || f.listeners.size > 0) return;
      f.stop();
      this.feeds.delete(key);
    };
  }

  close(): void {
    for (const f of this.feeds.values()) f.stop();
    this.feeds.clear();
  }
}

import type { Pool } from 'pg';
import type { WebSocket } from 'ws';
import { ledgerEvents, type LedgerEvent } from '../../db/ledger-events';
import { bookPosition } from '../../db/ledger-history';
import { messagesOf, positionMessage, type LiveMessage } from './live-messages';
import type { KeyedMessage, LiveStatus } from './live-status';

/**
 * A connection whose unsent data passes this is too slow to follow the feed: it is closed (1013) rather
 * than buffered without bound or allowed to slow anything else down.
 */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

interface Subscriber {
  socket: WebSocket;
  /** The symbols it follows; undefined: all. */
  symbols: ReadonlySet<string> | undefined;
  /** Whether it has had its history and the current state: state changes are sent only after that. */
  ready: boolean;
}

/**
 * Relays the ledger's events of this process to the live feed's connections: each event's messages are
 * built once and sent to every connection that follows its symbol. Listens only while someone is
 * connected. Sending never waits: a connection that falls behind is dropped.
 */
export class LiveHub {
  readonly #subscribers = new Set<Subscriber>();
  #stopListening: (() => void) | undefined;
  #stopStatus: (() => void) | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly status?: LiveStatus,
  ) {}

  /** Follows the ledger for `socket` at once; its state messages wait for `ready` (after its history). */
  add(
    socket: WebSocket,
    symbols: ReadonlySet<string> | undefined,
  ): { ready: () => void; remove: () => void } {
    const subscriber: Subscriber = { socket, symbols, ready: false };
    this.#subscribers.add(subscriber);
    this.#stopListening ??= ledgerEvents.listen((event) => this.#relay(event));
    this.#stopStatus ??= this.status?.subscribe((keyed) => this.#tell(keyed));
    return {
      ready: () => {
        subscriber.ready = true;
        for (const keyed of this.status?.current() ?? []) this.#tell(keyed, subscriber);
      },
      remove: () => {
        this.#subscribers.delete(subscriber);
        if (this.#subscribers.size > 0) return;
        this.#stopListening?.();
        this.#stopListening = undefined;
        this.#stopStatus?.();
        this.#stopStatus = undefined;
      },
    };
  }

  /** A state message to every ready subscriber that follows its symbol (or to `only`). */
  #tell({ symbol, message }: KeyedMessage, only?: Subscriber): void {
    this.#send(symbol, message, { readyOnly: true, to: only ? [only] : this.#subscribers });
  }

  get connections(): number {
    return this.#subscribers.size;
  }

  #relay(event: LedgerEvent): void {
    const symbol = event.order.symbol;
    for (const message of messagesOf(event, Date.now())) this.#send(symbol, message);
    if (event.kind === 'reported' && event.fill) {
      const { venue, market, account } = event.order;
      bookPosition(this.pool, { venue, market, account, symbol })
        .then((position) => position && this.#send(symbol, positionMessage(position)))
        // A position not shown is a message missed, never a failure of the feed.
        .catch(() => undefined);
    }
  }

  /**
   * Serializes once and sends to every subscriber (of `to`) that follows `symbol` (undefined: everyone);
   * the ledger's events go out before a subscriber's history too, so that none is missed.
   */
  #send(
    symbol: string | undefined,
    message: LiveMessage,
    { readyOnly = false, to = this.#subscribers }: { readyOnly?: boolean; to?: Iterable<Subscriber> } = {},
  ): void {
    const text = JSON.stringify(message);
    for (const subscriber of to) {
      if (readyOnly && !subscriber.ready) continue;
      if (symbol !== undefined && subscriber.symbols && !subscriber.symbols.has(symbol)) continue;
      send(subscriber.socket, text);
    }
  }
}

/** Sends without waiting; a connection too far behind is closed instead. */
export function send(socket: WebSocket, text: string): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.close(1013, 'too slow: the feed does not wait for a client');
    return;
  }
  socket.send(text);
}

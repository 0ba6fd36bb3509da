import type { Pool } from 'pg';
import type { WebSocket } from 'ws';
import { ledgerEvents, type LedgerEvent } from '../../db/ledger-events';
import { bookPosition } from '../../db/ledger-history';
import { messagesOf, positionMessage, type LiveMessage } from './live-messages';

/**
 * A connection whose unsent data passes this is too slow to follow the feed: it is closed (1013) rather
 * than buffered without bound or allowed to slow anything else down.
 */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

interface Subscriber {
  socket: WebSocket;
  /** The symbols it follows; undefined: all. */
  symbols: ReadonlySet<string> | undefined;
}

/**
 * Relays the ledger's events of this process to the live feed's connections: each event's messages are
 * built once and sent to every connection that follows its symbol. Listens only while someone is
 * connected. Sending never waits: a connection that falls behind is dropped.
 */
export class LiveHub {
  readonly #subscribers = new Set<Subscriber>();
  #stopListening: (() => void) | undefined;

  constructor(private readonly pool: Pool) {}

  add(socket: WebSocket, symbols: ReadonlySet<string> | undefined): () => void {
    const subscriber = { socket, symbols };
    this.#subscribers.add(subscriber);
    this.#stopListening ??= ledgerEvents.listen((event) => this.#relay(event));
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) {
        this.#stopListening?.();
        this.#stopListening = undefined;
      }
    };
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

  #send(symbol: string, message: LiveMessage): void {
    const text = JSON.stringify(message);
    for (const { socket, symbols } of this.#subscribers) {
      if (symbols && !symbols.has(symbol)) continue;
      send(socket, text);
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

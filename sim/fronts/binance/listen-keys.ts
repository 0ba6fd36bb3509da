import { randomBytes } from 'node:crypto';
import { BinanceApiError } from './errors';

/** A listenKey lives 60 minutes after its creation or last keepalive, as on Binance. */
export const LISTEN_KEY_VALIDITY_MS = 60 * 60_000;

interface Entry {
  listenKey: string;
  account: string;
  expiresAt: number;
}

const noListenKey = (): BinanceApiError => new BinanceApiError(400, -1125, 'This listenKey does not exist.');

/**
 * USD-M futures listenKeys, one per API key as on Binance: creating one while it is valid returns the
 * same key with its validity extended; a keepalive extends it; closing it ends its streams.
 */
export class ListenKeys {
  private readonly byApiKey = new Map<string, Entry>();

  constructor(private readonly now: () => number) {}

  /** `POST /fapi/v1/listenKey`. */
  open(apiKey: string, account: string): string {
    const live = this.live(apiKey);
    const listenKey = live?.listenKey ?? randomBytes(32).toString('hex');
    this.byApiKey.set(apiKey, { listenKey, account, expiresAt: this.now() + LISTEN_KEY_VALIDITY_MS });
    return listenKey;
  }

  /** `PUT /fapi/v1/listenKey`: -1125 when the key has none (never opened, closed or expired). */
  keepAlive(apiKey: string): string {
    const live = this.live(apiKey);
    if (!live) throw noListenKey();
    live.expiresAt = this.now() + LISTEN_KEY_VALIDITY_MS;
    return live.listenKey;
  }

  /** `DELETE /fapi/v1/listenKey`: the closed key, whose streams end (undefined: there was none). */
  close(apiKey: string): string | undefined {
    const live = this.live(apiKey);
    this.byApiKey.delete(apiKey);
    return live?.listenKey;
  }

  /** The account a valid listenKey streams. */
  accountOf(listenKey: string): string | undefined {
    for (const [apiKey, e] of this.byApiKey) if (e.listenKey === listenKey) return this.live(apiKey)?.account;
    return undefined;
  }

  private live(apiKey: string): Entry | undefined {
    const e = this.byApiKey.get(apiKey);
    if (!e || e.expiresAt > this.now()) return e;
    this.byApiKey.delete(apiKey);
    return undefined;
  }
}

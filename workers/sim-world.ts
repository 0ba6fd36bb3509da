import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StartupError } from '../config/startup-error';
import type { ConnectorFactory } from '../connectors/exchange-connector';
import { simConnectorFactory } from '../connectors/sim/connector-factory';
import type { Side } from '../domain/trading';
import { SimExchange, VENUE_NAMES, defaultVenueConfig, runInRealTime, type SimExchangeOptions } from '../sim';

export interface LocalSimWorldOptions extends SimExchangeOptions {
  /** Keel's account, funded on a fresh start (default `keel`). */
  account?: string;
  tickMs?: number;
  /**
   * Where the exchange's state lives between runs (`npm start` passes `<dataDir>/sim/state.json`): loaded
   * at start when the file exists (then the exchange options above are the snapshot's, and nothing is
   * funded again), saved every `saveEveryMs` and on `stop()`, each time atomically (temp file, rename).
   */
  stateFile?: string;
  /** Default 5000. */
  saveEveryMs?: number;
}

export interface LocalSimWorld {
  exchange: SimExchange;
  connectors: ConnectorFactory;
  /** Stops the clock and the periodic saves, then (with a state file) saves a last time. */
  stop(): Promise<void>;
}

/** Trades of each public tape kept on disk: lookups default to the newest 100. */
const TAPE_KEPT_ON_DISK = 500;

/**
 * `npm start`'s exchange: the simulator in-process with its synthetic market and bots, its clock stepped
 * by a real-time timer, and Keel's default account funded. With a `stateFile` its orders and balances
 * survive a restart of the stack; the simulated clock then catches up with the time it was down, so the
 * market moves on (and may fill resting orders) as a venue would have.
 */
export function startLocalSimWorld(options: LocalSimWorldOptions = {}): LocalSimWorld {
  const { stateFile, saveEveryMs = 5_000 } = options;
  const restored = stateFile === undefined ? undefined : loadState(stateFile);
  const exchange = restored ?? new SimExchange({ synthetic: true, startTime: Date.now(), ...options });
  if (restored) exchange.step(Math.max(0, Date.now() - exchange.clock.now()));
  else exchange.fundAccount(options.account ?? 'keel');
  const stopClock = runInRealTime(exchange, options.tickMs);
  const world = { exchange, connectors: simConnectorFactory(exchange) };
  if (stateFile === undefined)
    return {
      ...world,
      stop: async () => stopClock(),
    };

  mkdirSync(dirname(stateFile), { recursive: true });
  let saving: Promise<void> | undefined;
  const save = (): Promise<void> => {
    // The snapshot is taken now, in one piece; only the write is asynchronous.
    const text = JSON.stringify(exchange.snapshot({ tapeLimit: TAPE_KEPT_ON_DISK }));
    saving = writeAtomically(stateFile, text).finally(() => (saving = undefined));
    return saving;
  };
  const timer = setInterval(() => {
    if (saving) return;
    save().catch((error: unknown) =>
      console.error(`[sim] saving the simulator state to ${stateFile} failed: ${String(error)}`),
    );
  }, saveEveryMs);
  timer.unref();
  let stopped: Promise<void> | undefined;
  return {
    ...world,
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(timer);
        stopClock();
        await saving?.catch(() => undefined);
        await save();
      })()),
  };
}

/** The exchange saved in `stateFile`, or undefined if there is none; a file that does not restore stops start-up. */
function loadState(stateFile: string): SimExchange | undefined {
  let text: string;
  try {
    text = readFileSync(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StartupError(`cannot read the simulator state ${stateFile}: ${oneLine(error)}`);
  }
  try {
    return SimExchange.restore(JSON.parse(text));
  } catch (error) {
    throw new StartupError(
      `the simulator state ${stateFile} cannot be restored (${oneLine(error)}); move it away to start an empty simulator`,
    );
  }
}

const oneLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');

/**
 * Writes a temp file beside `file`, flushes it to disk, then renames it over `file`: a reader (or a crash)
 * sees the old state or the new one, never half of one. One writer per file (a leftover temp file from a
 * crash is overwritten by the next save).
 */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

/**
 * An in-process simulated exchange listing `symbols` on every venue (spot: tick 0.01, lot 0.001, min
 * notional 5; perp alike), with account `keel` funded. Quiet market: books hold only our orders.
 */
export function createSimWorld(symbols: string[], account = 'keel') {
  const spec = { tickSize: '0.01', lotSize: '0.001', minQty: '0.001', maxQty: '1000000', minNotional: '5' };
  const venues = VENUE_NAMES.map((name) => {
    const config = defaultVenueConfig(name);
    return {
      ...config,
      spot: { ...config.spot, instruments: symbols.map((symbol) => ({ symbol, ...spec })) },
      perp: {
        ...config.perp,
        instruments: symbols.map((symbol) => ({
          symbol,
          ...spec,
          maintenanceMarginPpm: 5000,
          maxLeverage: 50,
        })),
      },
    };
  });
  const exchange = new SimExchange({ venues });
  exchange.fundAccount(account);
  return { exchange, connectors: simConnectorFactory(exchange) };
}

/**
 * Another participant crossing the book with an IOC limit order from account `taker`: how tests, benches
 * and scripts make Keel's resting orders fill.
 */
export function takerOrder(
  market: ReturnType<SimExchange['market']>,
  order: { symbol: string; side: Side; price: string; quantity?: string },
) {
  return market.placeOrder({ account: 'taker', type: 'limit', quantity: '1', timeInForce: 'IOC', ...order });
}

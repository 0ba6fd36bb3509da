import type { VenueSetup, VenuesConfig } from '../config/venues';
import {
  attachReplay,
  defaultVenueConfig,
  loadBinanceCapture,
  runInRealTime,
  SimExchange,
  type ReplayDriver,
} from '../sim';
import type { VenueName } from '../sim/ids';

type PaperSetup = Extract<VenueSetup, { kind: 'paper' }>;

export interface PaperVenues {
  /** The simulator's engine that matches paper orders against the replayed books. */
  exchange: SimExchange;
  /** Each recording's driver: its clock mapping (tests compare fills with the recording). */
  replays: Array<{ venue: string; market: string; symbol: string; driver: ReplayDriver }>;
  /** Whether every recording has been played to its end. */
  done(): boolean;
  /** Starts the replay clock (already running unless started `paused`); once. */
  start(): void;
  stop(): Promise<void>;
}

/**
 * The paper venues of the configuration, on one simulated exchange of their own: each replays its
 * recordings into the matching engine (the recorded book level by level, with queue position: sim/replay.ts)
 * in real time, `speed` times faster, and its accounts start with the configured balances. Without paper
 * venues, nothing is started.
 */
export async function startPaperVenues(
  config: VenuesConfig,
  /** paused: the recordings wait for `start()` (a backtest starts them once its strategy is listening). */
  options: { paused?: boolean } = {},
): Promise<PaperVenues | undefined> {
  const paper = config.venues.filter((setup): setup is PaperSetup => setup.kind === 'paper');
  if (paper.length === 0) return undefined;
  const exchange = new SimExchange({
    startTime: Date.now(),
    venues: paper.map((setup) =>
      defaultVenueConfig(setup.venue as VenueName, [
        ...new Set(setup.replay.map((recording) => recording.symbol)),
      ]),
    ),
  });
  const replays: PaperVenues['replays'] = [];
  for (const setup of paper) {
    fund(exchange, setup);
    for (const recording of setup.replay) {
      const events = await loadBinanceCapture(recording.file);
      const driver = attachReplay(
        exchange,
        setup.venue,
        recording.market,
        recording.symbol,
        events,
        setup.speed,
      );
      replays.push({ venue: setup.venue, market: recording.market, symbol: recording.symbol, driver });
    }
  }
  let stopClock: (() => void) | undefined;
  const start = () => void (stopClock ??= runInRealTime(exchange));
  if (!options.paused) start();
  return {
    exchange,
    replays,
    done: () => replays.every(({ driver }) => driver.done),
    start,
    stop: async () => stopClock?.(),
  };
}

function fund(exchange: SimExchange, setup: PaperSetup) {
  const venue = exchange.venue(setup.venue);
  for (const account of setup.accounts)
    for (const [asset, amount] of Object.entries(setup.balances)) {
      venue.deposit('spot', account.name, asset, amount);
      if (asset === 'USDT') venue.deposit('perp', account.name, asset, amount);
    }
}

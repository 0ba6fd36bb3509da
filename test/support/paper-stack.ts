import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { OrchestratorRef } from '../../api/orchestrator';
import { loadVenuesConfig } from '../../config/venues';
import { loadBinanceCapture, type ReplayEvent } from '../../sim/replay';
import { startPaperVenues, type PaperVenues } from '../../workers/paper-venues';
import { venueConnectors } from '../../workers/venue-connectors';
import { startHarness, type Harness } from './harness';
import type { TestDatabase } from './test-database';

export interface PaperStack {
  paper: PaperVenues;
  database: TestDatabase;
  app: FastifyInstance;
  /** The recording as the paper venue replays it. */
  events: ReplayEvent[];
  stop(): Promise<void>;
}

/**
 * A paper binance venue replaying one spot capture (from a configuration file, as an operator writes it),
 * and a harness whose worker trades on it: its database, orchestrator and API.
 */
export async function startPaperStack(options: {
  database: string;
  orchestrator: OrchestratorRef;
  capture: string;
  symbol: string;
  account: string;
  speed: number;
  balances: string;
}): Promise<PaperStack> {
  const dir = mkdtempSync(join(tmpdir(), 'keel-paper-'));
  const file = join(dir, 'keel.config.yaml');
  writeFileSync(
    file,
    [
      'venues:',
      '  binance:',
      '    kind: paper',
      `    replay: [{ market: spot, symbol: ${options.symbol}, file: ${options.capture} }]`,
      `    speed: ${options.speed}`,
      `    balances: ${options.balances}`,
      `    accounts: [{ name: ${options.account} }]`,
      '',
    ].join('\n'),
  );
  const config = loadVenuesConfig(file, {});
  const events = await loadBinanceCapture(options.capture);
  const paper = (await startPaperVenues(config))!;
  const venues = venueConnectors(config, { paperExchange: paper.exchange });
  let stack: Harness | undefined;
  try {
    const started = await startHarness({
      database: options.database,
      worker: { deps: { connectors: venues.connectors, settleWindowMs: venues.settleWindowMs } },
      orchestrator: options.orchestrator,
      api: { venues: config },
    });
    stack = started;
    return {
      paper,
      database: started.database,
      app: started.app,
      events,
      async stop() {
        await stack?.stop();
        await paper.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await paper.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

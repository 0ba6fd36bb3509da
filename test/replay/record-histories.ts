/**
 * Records the histories `orchestrator-replay.test.ts` replays: runs one scenario on a throwaway dev
 * server (root with 2 shards; add, pause, resume, update and remove symbols through updates and signals;
 * a grid with fills, new params and a pause; small history bounds so shards and symbols continue-as-new)
 * and saves every run's history. PostgreSQL from DATABASE_URL, else an embedded one.
 *
 *   node --import tsx test/replay/record-histories.ts [--only GRD-USDT]
 *
 * Re-record only on purpose (a deliberate, versioned workflow change): the point of the saved files is
 * that code which cannot replay them fails the test.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ensureOrchestrator, orchestratorControl } from '../../api/orchestrator';
import { temporalApi } from '../../temporal/proto';
import { startLocalStack } from '../../workers/local-stack';
import { installRuntime } from '../../workers/runtime';
import { createSimWorld, takerOrder } from '../../workers/sim-world';
import { addSymbolSignal } from '../../workflows/orchestrator/messages';
import { symbolStateQuery } from '../../workflows/symbol/symbol-messages';
import { waitFor } from '../support/wait';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only;

const grid = (lowerPrice: string, upperPrice: string) => ({
  venues: [{ venue: 'binance' as const, market: 'spot' as const, account: 'keel' }],
  strategies: [
    {
      name: 'grid',
      params: {
        mode: 'long',
        lowerPrice,
        upperPrice,
        levels: 5,
        orderSize: { unit: 'base', amount: '1' },
        maxInventory: '10',
        referencePrice: '101',
        pollMs: 50,
        watchMs: 1000,
      },
    },
  ],
});

const quote = (quantity: string) => ({
  venues: [{ venue: 'binance' as const, market: 'spot' as const, account: 'keel' }],
  strategies: [
    { name: 'quote', params: { quantity, referencePrice: '100', levels: 1, requoteIntervalMs: 1000 } },
  ],
});

async function main() {
  installRuntime('WARN');
  const sim = createSimWorld(['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'GRD-USDT']);
  const market = sim.exchange.market('binance', 'spot');
  sim.exchange.venue('binance').deposit('spot', 'taker', 'GRD', '100');
  sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '100000');
  const take = (side: 'buy' | 'sell', price: string) =>
    takerOrder(market, { symbol: 'GRD-USDT', side, price });
  const resting = (side: 'buy' | 'sell', price: string) =>
    market
      .openOrders('keel', 'GRD-USDT')
      .some((order) => order.side === side && Number(order.price) === Number(price));
  const stack = await startLocalStack({ name: 'record', taskQueue: 'replay', connectors: sim.connectors });
  const { client } = stack;
  try {
    const ref = {
      workflowId: 'keel-orchestrator',
      input: { shardCount: 2, maxHistoryEvents: 50, shardMaxHistoryEvents: 50 },
    };
    await ensureOrchestrator(client, 'replay', ref);
    const control = orchestratorControl(client, ref);
    // A grid: two fill rounds, new params (a regrid), a pause and a resume, then continue-as-new.
    await control.addSymbol('GRD-USDT', grid('90', '110'));
    await waitFor('the grid', () => resting('buy', '95'), 30_000, 50);
    for (let round = 0; round < 2; round += 1) {
      take('sell', '95');
      await waitFor('the sell one level up', () => resting('sell', '100'), 30_000, 50);
      take('buy', '100');
      await waitFor('the level bought back', () => resting('buy', '95'), 30_000, 50);
    }
    await control.updateSymbol('GRD-USDT', grid('80', '100'));
    await waitFor('the new generation', () => resting('buy', '85'), 30_000, 50);
    await control.pause('GRD-USDT');
    await control.resume('GRD-USDT');
    await waitFor('the grid resumed', () => resting('buy', '85'), 30_000, 50);
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const state = await client.workflow.getHandle('symbol:GRD-USDT').query(symbolStateQuery);
      if (state.run > 1) break;
      await sleep(500);
    }
    if (only) {
      await save(only);
      return;
    }
    await control.addSymbol('BTC-USDT', quote('1'));
    await control.addSymbol('ETH-USDT', quote('2'));
    await client.workflow
      .getHandle(ref.workflowId)
      .signal(addSymbolSignal, { symbol: 'SOL-USDT', config: quote('3') });
    await client.workflow.getHandle(ref.workflowId).signal(addSymbolSignal, { symbol: 'bad' } as never);
    await sleep(2500); // a couple of re-quotes
    await control.pause('BTC-USDT');
    await control.resume('BTC-USDT');
    await control.updateSymbol('ETH-USDT', quote('3'));
    await control.pause();
    await control.resume();
    await sleep(1500);
    await control.removeSymbol('SOL-USDT');
    await client.workflow.getHandle('symbol:SOL-USDT').result();
    // Let the symbol workflows pass their history bound (continue-as-new) once.
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const state = await client.workflow.getHandle('symbol:BTC-USDT').query(symbolStateQuery);
      if (state.run > 1) break;
      await sleep(500);
    }
    await save();
  } finally {
    await stack.stop();
  }

  /** Saves every run (of `symbol`'s workflow only, if given) that completed a workflow task. */
  async function save(symbol?: string) {
    let count = 0;
    const query = symbol ? `WorkflowId = "symbol:${symbol}"` : undefined;
    for await (const execution of client.workflow.list(query ? { query } : {})) {
      const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
      const history = await handle.fetchHistory();
      // A run that has not completed a workflow task yet (just continued-as-new) has nothing to replay.
      const completedTask = temporalApi.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
      if (!history.events?.some((event) => event.eventType === completedTask)) continue;
      const name = `${execution.type}-${execution.workflowId.replace(/[^A-Za-z0-9-]/g, '_')}-${execution.runId.slice(-12)}.pb`;
      writeFileSync(
        join(import.meta.dirname, 'histories', name),
        temporalApi.history.v1.History.encode(history).finish(),
      );
      count += 1;
    }
    console.log(`saved ${count} histories to test/replay/histories`);
  }
}

await main();

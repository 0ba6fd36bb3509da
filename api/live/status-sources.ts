import type { Pool } from 'pg';
import { latestAccountSnapshots } from '../../db/account-snapshots';
import { riskOverview } from '../../db/risk';
import { listTrackings } from '../../db/scanner-trackings';
import type { orchestratorControl } from '../orchestrator';
import type { KeyedMessage, StatusSource } from './live-status';

/** Accounts whose latest reconciliation is older than this are not read again (the client keeps the last). */
const ACCOUNT_WITHIN_MS = 5 * 60_000;
/** Trackings read each round: the open ones and the latest closed, newest first. */
const TRACKINGS = 200;

/** Each symbol's status as its shard holds it. */
export function symbolStatuses(control: ReturnType<typeof orchestratorControl>): StatusSource {
  return () =>
    control.within(async () => {
      const held = await control.shardEntries(await control.status());
      return [...held.values()].map((entry): KeyedMessage => ({
        key: `symbol:${entry.symbol}`,
        symbol: entry.symbol,
        message: {
          type: 'symbol',
          data: { symbol: entry.symbol, status: entry.status, problems: entry.problems ?? [] },
        },
      }));
    });
}

/** Every trading state other than ACTIVE, as one message (an empty list: everything ACTIVE). */
export function riskStates(pool: Pool): StatusSource {
  return async () => {
    const { states } = await riskOverview(pool);
    const data = {
      states: states.map((row) => ({
        scope: row.scope,
        key: row.scope_key,
        source: row.source,
        state: row.state,
        reason: row.reason,
      })),
    };
    return [{ key: 'risk', symbol: undefined, message: { type: 'risk', data } }];
  };
}

/** Each account's latest reconciliation with its venue. */
export function accounts(pool: Pool): StatusSource {
  return async () =>
    (await latestAccountSnapshots(pool, ACCOUNT_WITHIN_MS)).map((snapshot): KeyedMessage => ({
      key: `account:${snapshot.venue}/${snapshot.account}`,
      symbol: undefined,
      message: {
        type: 'account',
        data: {
          venue: snapshot.venue,
          account: snapshot.account,
          takenAt: snapshot.takenAt.toISOString(),
          balances: snapshot.balances,
          positions: snapshot.positions,
        },
      },
    }));
}

/** The scanner's latest trackings: one message when a tracking opens, another when it closes. */
export function trackings(pool: Pool): StatusSource {
  return async () =>
    (await listTrackings(pool, { limit: TRACKINGS })).map((row): KeyedMessage => ({
      key: `tracking:${row.id}`,
      symbol: row.symbol,
      message: {
        type: 'tracking',
        data: {
          id: row.id,
          symbol: row.symbol,
          direction: row.direction,
          openedAt: row.opened_at.toISOString(),
          entryBps: row.entry_bps,
          exitBps: row.exit_bps,
          closedAt: row.closed_at?.toISOString() ?? null,
          outcome: row.outcome,
        },
      },
    }));
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { devServerArgs } from '../../temporal/dev-server';

const base = { binary: 'temporal', grpcPort: 7301, uiPort: 8301, logFile: '/tmp/x.log' };

function flagValues(args: string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag ? [args[index + 1] ?? ''] : []));
}

test('a persistent dev server gets its db file, WAL pragmas, ports and every Keel search attribute', () => {
  const args = devServerArgs({ ...base, dbFile: '/data/dev.db' });
  assert.deepEqual(args.slice(0, 2), ['server', 'start-dev']);
  assert.deepEqual(flagValues(args, '--db-filename'), ['/data/dev.db']);
  assert.deepEqual(flagValues(args, '--sqlite-pragma'), ['journal_mode=wal', 'synchronous=normal']);
  assert.deepEqual(flagValues(args, '--port'), ['7301']);
  assert.deepEqual(flagValues(args, '--ui-port'), ['8301']);
  assert.deepEqual(flagValues(args, '--search-attribute').sort(), [
    'Exchange=Keyword',
    'ScannerDirection=Keyword',
    'ScannerOutcome=Keyword',
    'Shard=Int',
    'Strategy=Keyword',
    'Symbol=Keyword',
    'SymbolStatus=Keyword',
  ]);
});

test('eager activity execution is on by default and dynamic config can be added or overridden', () => {
  assert.deepEqual(flagValues(devServerArgs(base), '--dynamic-config-value'), [
    'system.enableActivityEagerExecution=true',
  ]);
  const args = devServerArgs({
    ...base,
    dynamicConfig: { 'system.enableActivityEagerExecution': false, 'limit.maxIDLength': 2000 },
  });
  assert.deepEqual(flagValues(args, '--dynamic-config-value'), [
    'system.enableActivityEagerExecution=false',
    'limit.maxIDLength=2000',
  ]);
});

test('an in-memory headless server has no db file, no pragmas and no UI port', () => {
  const args = devServerArgs({ ...base, headless: true });
  assert.deepEqual(flagValues(args, '--db-filename'), []);
  assert.deepEqual(flagValues(args, '--sqlite-pragma'), []);
  assert.deepEqual(flagValues(args, '--ui-port'), []);
  assert.ok(args.includes('--headless'));
});

test('pragmas can be chosen per start', () => {
  const args = devServerArgs({ ...base, dbFile: '/d.db', sqlitePragmas: { journal_mode: 'delete' } });
  assert.deepEqual(flagValues(args, '--sqlite-pragma'), ['journal_mode=delete']);
});

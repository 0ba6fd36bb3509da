/**
 * Pragmas for the dev server's file-backed SQLite store, passed as `--sqlite-pragma`.
 *
 * Measured with `npm run bench:dev-server` (see docs/temporal.md): the default rollback journal fsyncs
 * every transaction and is the bottleneck for workflow throughput. WAL with synchronous=NORMAL keeps the
 * database consistent across a crash of the server process (only an OS crash can lose the last
 * transactions), which is the right trade for a local development store.
 */
export const defaultSqlitePragmas: Record<string, string> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};

export function sqlitePragmaFlags(pragmas: Record<string, string>): string[] {
  return Object.entries(pragmas).flatMap(([name, value]) => ['--sqlite-pragma', `${name}=${value}`]);
}

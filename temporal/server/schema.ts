import { spawn } from 'node:child_process';
import { StartupError } from '../../config/startup-error';
import type { PostgresSettings } from './settings';

/** The schemas embedded in the sql tool (`--schema-name`), for the `postgres12` plugin. */
const schemaNames = {
  persistence: 'postgresql/v12/temporal',
  visibility: 'postgresql/v12/visibility',
} as const;

interface ToolResult {
  code: number | null;
  output: string;
}

function runSqlTool(sqlTool: string, postgres: PostgresSettings, database: string, args: string[]) {
  const child = spawn(
    sqlTool,
    [
      '--plugin',
      'postgres12',
      '--endpoint',
      postgres.host,
      '--port',
      String(postgres.port),
      '--user',
      postgres.user,
      '--database',
      database,
      ...args,
    ],
    // The password through the tool's variable, not the command line (which `ps` shows).
    { env: { ...process.env, SQL_PASSWORD: postgres.password }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise<ToolResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The tool logs JSON lines; the last error's message is what an operator needs. */
function lastError(output: string): string {
  const lines = output.trim().split('\n').filter(Boolean);
  for (const line of lines.reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      if (entry.level === 'error' || entry.level === 'fatal')
        return `${entry.msg ?? ''} ${entry.error ?? ''}`;
    } catch {
      if (line.trim()) return line.trim();
    }
  }
  return 'no output';
}

async function sqlTool(
  tool: string,
  postgres: PostgresSettings,
  database: string,
  args: string[],
): Promise<void> {
  const result = await runSqlTool(tool, postgres, database, args);
  if (result.code !== 0) {
    throw new StartupError(
      `temporal sql tool '${args[0]}' on database ${database} at ${postgres.host}:${postgres.port} ` +
        `failed: ${lastError(result.output)}`,
    );
  }
}

export interface SchemaSetupOptions {
  /** Drop both databases first (every workflow, history and namespace is lost). */
  fresh?: boolean;
}

export interface SchemaSetupResult {
  dropped: string[];
}

/**
 * Creates the two databases if missing and brings both schemas to the version the sql tool embeds:
 * `setup-schema -v 0.0` (versioning tables; a no-op on a set-up database), then `update-schema`.
 * Idempotent, so it runs before every start and upgrades the schema after a server upgrade.
 */
export async function setupSchemas(
  tool: string,
  postgres: PostgresSettings,
  options: SchemaSetupOptions = {},
): Promise<SchemaSetupResult> {
  const result: SchemaSetupResult = { dropped: [] };
  const databases = [
    [postgres.database, schemaNames.persistence],
    [postgres.visibilityDatabase, schemaNames.visibility],
  ] as const;
  for (const [database, schemaName] of databases) {
    if (options.fresh) {
      await sqlTool(tool, postgres, database, ['drop-database', '--defaultdb', 'postgres', '--force']);
      result.dropped.push(database);
    }
    // CREATE DATABASE; the tool ignores "already exists".
    await sqlTool(tool, postgres, database, ['create-database', '--defaultdb', 'postgres']);
    await sqlTool(tool, postgres, database, ['setup-schema', '-v', '0.0']);
    await sqlTool(tool, postgres, database, ['update-schema', '--schema-name', schemaName]);
  }
  return result;
}

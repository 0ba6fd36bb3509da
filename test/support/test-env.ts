/** What `npm test` (scripts/test.ts) hands every test process. */
export interface TestEnvironment {
  temporalAddress: string;
  databaseUrl: string;
  workflowBundlePath: string;
  temporalCli: string;
  tmpDir: string;
}

export function testEnvironment(): TestEnvironment {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value)
      throw new Error(
        `${name} is not set: run integration tests through 'npm test', which starts Temporal and PostgreSQL`,
      );
    return value;
  };
  return {
    temporalAddress: read('KEEL_TEST_TEMPORAL_ADDRESS'),
    databaseUrl: read('KEEL_TEST_DATABASE_URL'),
    workflowBundlePath: read('KEEL_TEST_WORKFLOW_BUNDLE'),
    temporalCli: read('TEMPORAL_CLI'),
    tmpDir: read('KEEL_TEST_TMP'),
  };
}

/** Unique enough for names of databases, task queues and workflow ids within one run. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

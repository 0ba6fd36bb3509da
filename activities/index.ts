import type { Pool } from 'pg';
import { createSmokeActivities } from './smoke-activities';

export interface ActivityDependencies {
  pool: Pool;
}

/** Every activity Keel registers, built from real dependencies by workers and from test ones by tests. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createSmokeActivities(deps),
  };
}

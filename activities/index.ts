import type { Pool } from 'pg';
import { createOrderActivities, type ConnectorFactory } from './order-activities';
import { createSmokeActivities } from './smoke-activities';

export type { ConnectorFactory } from './order-activities';

export interface ActivityDependencies {
  pool: Pool;
  /** Exchange connectors by venue market and account; order activities fail (non-retryable) without them. */
  connectors?: ConnectorFactory;
}

/** Every activity Keel registers, built from real dependencies by workers and from test ones by tests. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createSmokeActivities(deps),
    ...createOrderActivities(deps),
  };
}

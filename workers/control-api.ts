import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Pool } from 'pg';
import { marketDataHubs } from '../activities/quote-watch';
import { buildApp, type ApiDependencies } from '../api/app';
import type { OrchestratorRef } from '../api/orchestrator';
import { defaultRiskRef } from '../api/risk';
import type { KeelConfig } from '../config/keel-config';
import { describeStartupFailure, StartupError } from '../config/startup-error';
import type { VenuesConfig } from '../config/venues';
import type { ConnectorFactory } from '../connectors/exchange-connector';
import { quotePort } from './market-port';

export interface ControlApiOptions {
  config: KeelConfig;
  client: Client;
  pool: Pool;
  venues: VenuesConfig;
  connectors: ConnectorFactory;
  orchestrator: OrchestratorRef;
  payloadCodec: PayloadCodec | undefined;
  extra?: Pick<ApiDependencies, 'temporalUiUrl' | 'activityTaskQueues'>;
}

/** The control API as `npm start` and `npm run keel -- api` serve it, listening where the settings say. */
export async function listenControlApi(options: ControlApiOptions) {
  const { config, payloadCodec } = options;
  const app = await buildApp({
    temporal: options.client,
    pool: options.pool,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    orchestrator: options.orchestrator,
    risk: defaultRiskRef,
    apiToken: config.KEEL_API_TOKEN,
    readToken: config.KEEL_API_READ_TOKEN,
    killSwitchToken: config.KEEL_KILL_SWITCH_TOKEN,
    logLevel: config.KEEL_LOG_LEVEL,
    venues: options.venues,
    market: quotePort(marketDataHubs(options.connectors)),
    ...options.extra,
    ...(payloadCodec && { codec: { codec: payloadCodec, corsOrigin: config.KEEL_CODEC_CORS_ORIGIN } }),
  });
  await app
    .listen({ host: config.KEEL_API_HOST, port: config.KEEL_API_PORT })
    .catch(async (error: unknown) => {
      await app.close();
      throw new StartupError(
        `the API cannot listen on ${config.KEEL_API_HOST}:${config.KEEL_API_PORT} (set KEEL_API_PORT): ${describeStartupFailure(error)}`,
      );
    });
  return app;
}

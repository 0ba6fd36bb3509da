import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../config/keel-config';
import { describeStartupFailure } from '../config/startup-error';
import { obtainBinary, tctlCli, temporalCli } from './cli-binary';
import { startDevServer } from './dev-server';

/**
 * Running Temporal by hand, the same way `npm start` and `npm test` do:
 *   npm run temporal -- path [temporal|tctl]   print the binary's path, building it once if needed
 *   npm run temporal -- dev-server             run only the dev server (state under KEEL_DATA_DIR) until Ctrl-C
 *   npm run temporal -- cli <args...>          run the temporal CLI against the local server
 *   npm run temporal -- tctl <args...>         run tctl against the local server
 */
async function main([command, ...args]: string[]): Promise<number> {
  const config = loadConfig();
  const address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_GRPC_PORT}`;
  switch (command) {
    case 'path':
      console.log(await obtainBinary(args[0] === 'tctl' ? tctlCli : temporalCli));
      return 0;
    case 'dev-server': {
      const server = await startDevServer({
        binary: await obtainBinary(temporalCli),
        grpcPort: config.TEMPORAL_GRPC_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile: join(config.dataDir, 'temporal', 'dev-server.db'),
        logFile: join(config.dataDir, 'logs', 'temporal-dev-server.log'),
        namespace: config.TEMPORAL_NAMESPACE,
      });
      console.log(`[keel] Temporal dev server on ${server.address}, Web UI ${server.uiUrl}; Ctrl-C stops it`);
      await new Promise<void>((resolve) => {
        process.on('SIGINT', resolve);
        process.on('SIGTERM', resolve);
      });
      await server.stop();
      return 0;
    }
    case 'cli':
    case 'tctl': {
      const binary = await obtainBinary(command === 'tctl' ? tctlCli : temporalCli);
      const addressArgs = command === 'tctl' ? ['--address', address] : [];
      const env = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_CLI_ADDRESS: address };
      const child = spawn(binary, [...addressArgs, ...args], { stdio: 'inherit', env });
      return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    }
    default:
      console.error(
        'usage: npm run temporal -- path [temporal|tctl] | dev-server | cli <args...> | tctl <args...>',
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[keel] ${describeStartupFailure(error)}`);
    process.exit(1);
  },
);

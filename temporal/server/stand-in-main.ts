import { describeStartupFailure, StartupError } from '../../config/startup-error';
import { findFreePort } from '../port-check';
import { findServerTool, temporalServerTool, temporalSqlTool } from './binaries';
import { writeServerConfig } from './config-file';
import { launchTemporalServer } from './launch';
import { loadTemporalServerSettings } from './settings';
import { parseStartDevArgs, saveStandInState, standInSettings, standInState } from './start-dev-stand-in';

/**
 * Entry of the start-dev wrapper (start-dev-stand-in.ts): prepares the PostgreSQL-backed server for
 * these `start-dev` flags and prints its config file's path on stdout; the wrapper then `exec`s the server.
 * The first start of a db file sets up fresh databases and registers the namespace and Keel's search
 * attributes on a short-lived server (the server creates no namespace itself); restarts reuse all that.
 */
async function main(argv: string[]): Promise<string> {
  const args = parseStartDevArgs(argv);
  const server = findServerTool(temporalServerTool);
  const sqlTool = findServerTool(temporalSqlTool);
  if (!server || !sqlTool) {
    throw new StartupError(
      `the Temporal server is not built: run 'npm run temporal:server -- build', or set ` +
        `${temporalServerTool.envVar} and ${temporalSqlTool.envVar}`,
    );
  }
  const { state, stateFile, dir } = await standInState(args);
  const settings = standInSettings(loadTemporalServerSettings(), args, state, dir);
  if (state.namespacePrepared) return writeServerConfig(settings).configFile;
  // The short-lived server answers on another frontend port: the caller polls the real one and must not
  // take this server, about to stop, for the one it started.
  const preparing = { ...settings, ports: { ...settings.ports, frontendGrpc: await findFreePort(args.ip) } };
  const launched = await launchTemporalServer(preparing, {
    binaries: { server, sqlTool },
    fresh: true,
    settle: false,
  });
  await launched.stop();
  saveStandInState(stateFile, { ...state, namespacePrepared: true });
  process.stderr.write(
    `[keel] start-dev stand-in: PostgreSQL databases ${state.database}(_visibility) set up in ` +
      `${launched.timings.schemaMs} ms, namespace ${args.namespace} ready in ${launched.timings.namespaceMs} ms\n`,
  );
  return writeServerConfig(settings).configFile;
}

main(process.argv.slice(2)).then(
  (configFile) => {
    process.stdout.write(`${configFile}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`[keel] start-dev stand-in: ${describeStartupFailure(error)}\n`);
    process.exit(1);
  },
);

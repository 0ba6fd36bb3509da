import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { testEnvironment } from './test-env';

const run = promisify(execFile);

/** Runs the run's real `temporal` CLI against its dev server, in the `default` namespace, as an operator would. */
export function temporalCli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env = testEnvironment();
  return run(env.temporalCli, [...args, '--address', env.temporalAddress, '--namespace', 'default']);
}

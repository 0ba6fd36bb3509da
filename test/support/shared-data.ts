import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Data sets the project reads but does not commit: `../shared/data/<name>/` beside the repository root
 * (each folder's SOURCE.md says where it comes from), or the folder an environment variable names.
 *
 * Absent, a test that needs one is skipped with a message saying where it looked; under `CI=true` (where
 * `../shared` is always beside the clone) it fails instead, with the same message, so a moved or missing
 * data set cannot turn into a green run that tested nothing.
 */
export const repositoryRoot = resolve(import.meta.dirname, '..', '..');

export interface SharedDataSet {
  /** The folder the files are read from. */
  dir: string;
  /** Test options: `{ skip: message }` when files are missing outside CI, else `{}` (the test runs). */
  options: { skip?: string };
  /** A file's path; throws the data set's message when it is missing, so a test run under CI fails there. */
  path(file: string): string;
  /** A JSON file of the set, parsed (its path as `path` gives it). */
  readJson<T>(file: string): T;
}

/** `name` under ../shared/data (or `process.env[envVar]`), with the `files` the tests need from it. */
export function sharedDataSet(
  name: 'ccxt-markets' | 'binance-ws',
  envVar: string,
  files: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): SharedDataSet {
  const dir = env[envVar] || join(repositoryRoot, '..', 'shared', 'data', name);
  const problem = (missing: readonly string[]) =>
    `shared data set '${name}' is incomplete: ${missing.join(', ')} not found in ${dir} ` +
    `(expected ../shared/data/${name}/ beside the repository root ${repositoryRoot}, see its SOURCE.md; ` +
    `${envVar} overrides the folder)`;
  const missing = files.filter((file) => !existsSync(join(dir, file)));
  const inCi = env.CI === 'true';
  return {
    dir,
    options: missing.length > 0 && !inCi ? { skip: `${problem(missing)}; skipping` } : {},
    path(file) {
      const path = join(dir, file);
      if (!existsSync(path))
        throw new Error(`${problem([file])}${inCi ? '; CI=true, so a test that needs it fails' : ''}`);
      return path;
    },
    readJson<T>(file: string): T {
      return JSON.parse(readFileSync(this.path(file), 'utf8')) as T;
    },
  };
}

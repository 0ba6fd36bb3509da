import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { whyNotClientBot } from './bot';
import type { ClientBot } from './bot';
import { BUILT_IN_BOTS, createBuiltInBot } from './built-in';
import type { BuiltInBotName, BuiltInBotOptions } from './built-in';

/** A `--strategy` that cannot be run, with the one line to print. */
export class StrategyError extends Error {}

export interface LoadedStrategy {
  /** `maker`, or the export's name for a module. */
  name: string;
  bot: ClientBot;
}

const firstLine = (e: unknown): string =>
  ((e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '').trim();

/**
 * `maker`, `taker`, `random`, or `PATH:EXPORT` — a module whose named export is a `ClientBot` class
 * (constructed without arguments) or a `ClientBot` object. A relative PATH is looked for in `cwd`, then
 * in `initCwd` (npm's INIT_CWD: the directory `npm run sim:bot` was typed in).
 */
export async function loadStrategy(
  spec: string,
  options: BuiltInBotOptions = {},
  cwd = process.cwd(),
  initCwd = process.env.INIT_CWD,
): Promise<LoadedStrategy> {
  if ((BUILT_IN_BOTS as readonly string[]).includes(spec))
    return { name: spec, bot: createBuiltInBot(spec as BuiltInBotName, options) };
  const colon = spec.lastIndexOf(':');
  const path = colon > 0 ? spec.slice(0, colon) : '';
  const exportName = colon > 0 ? spec.slice(colon + 1) : '';
  if (!path || !/^[A-Za-z_$][\w$]*$/.test(exportName))
    throw new StrategyError(
      `bad --strategy ${spec}: expected ${BUILT_IN_BOTS.join(', ')} or PATH:EXPORT (e.g. ./my-bot.ts:MyBot)`,
    );
  // `npm run` starts scripts in the repository root; INIT_CWD is where the user typed the command.
  const candidates = [...new Set([cwd, ...(initCwd ? [initCwd] : [])])].map((dir) => resolve(dir, path));
  const file = candidates.find((f) => existsSync(f) && statSync(f).isFile());
  if (file === undefined)
    throw new StrategyError(`bad --strategy ${spec}: no such file ${candidates.join(' or ')}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new StrategyError(`bad --strategy ${spec}: cannot load ${file}: ${firstLine(e)}`);
  }
  if (!(exportName in mod) || mod[exportName] === undefined)
    throw new StrategyError(`bad --strategy ${spec}: ${file} has no export named ${exportName}`);
  const exported = mod[exportName];
  let bot: unknown = exported;
  if (typeof exported === 'function') {
    try {
      bot = new (exported as new () => unknown)();
    } catch (e) {
      throw new StrategyError(`bad --strategy ${spec}: new ${exportName}() threw: ${firstLine(e)}`);
    }
  }
  const why = whyNotClientBot(bot);
  if (why !== undefined)
    throw new StrategyError(`bad --strategy ${spec}: ${exportName} is not a bot (ClientBot): ${why}`);
  return { name: exportName, bot: bot as ClientBot };
}

import { StartupError } from './startup-error';

const PREFIX = 'KEEL_VENUE_';

const text = (value: string) => value;
const bool = (value: string) => {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error('must be true or false');
};
const list = (value: string) => value.split(',').map((item) => item.trim());
const number = (value: string) => {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new Error('must be a number');
  return parsed;
};

/** What a variable may set, by its suffix: the venue settings an operator changes per deployment. */
const SETTINGS: Record<string, { key: string; parse: (value: string) => unknown }> = {
  KIND: { key: 'kind', parse: text },
  MARKETS: { key: 'markets', parse: list },
  SANDBOX: { key: 'sandbox', parse: bool },
  FRONT_URL: { key: 'frontUrl', parse: text },
  URL: { key: 'url', parse: text },
  SPEED: { key: 'speed', parse: number },
  RATE_LIMIT: { key: 'rateLimit', parse: number },
};

export interface VenueOverride {
  variable: string;
  venue: string;
  /** The file key it sets under `venues.<venue>`. */
  key: string;
  value: unknown;
}

/**
 * Every `KEEL_VENUE_<VENUE>_<SETTING>` variable set (e.g. `KEEL_VENUE_BINANCE_SANDBOX=false`), parsed.
 * A variable naming no venue of `venues`, or no setting, or holding a value of the wrong kind stops
 * start-up with one line naming it. Credentials are not among the settings: the file names the variables
 * that hold them.
 */
export function venueOverrides(
  env: NodeJS.ProcessEnv,
  venues: readonly string[],
  source: string,
): VenueOverride[] {
  const refuse = (variable: string, message: string): never => {
    throw new StartupError(`bad venue configuration in ${source}: ${variable}: ${message}`);
  };
  return Object.entries(env)
    .filter(([variable, value]) => variable.startsWith(PREFIX) && value !== undefined && value !== '')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([variable, value]) => {
      const rest = variable.slice(PREFIX.length);
      const venue = venues.find((name) => rest.startsWith(`${name.toUpperCase()}_`));
      if (!venue)
        return refuse(variable, `names no venue; use ${PREFIX}<${venues.join('|').toUpperCase()}>_<SETTING>`);
      const suffix = rest.slice(venue.length + 1);
      const setting = SETTINGS[suffix];
      if (!setting)
        return refuse(variable, `no such setting; use one of ${Object.keys(SETTINGS).join(', ')}`);
      try {
        return { variable, venue, key: setting.key, value: setting.parse(value ?? '') };
      } catch (error) {
        return refuse(variable, error instanceof Error ? error.message : String(error));
      }
    });
}

/** The file's venues with the overrides laid over them (a venue the file lacks is added). Pure. */
export function withOverrides(raw: unknown, overrides: readonly VenueOverride[]): unknown {
  if (overrides.length === 0) return raw;
  const file = (raw ?? {}) as { venues?: Record<string, Record<string, unknown>> };
  const venues = { ...file.venues };
  for (const { venue, key, value } of overrides) venues[venue] = { ...venues[venue], [key]: value };
  return { ...file, venues };
}

/** The variable that set `path` (a zod issue path), to name it in an error. */
export function overrideAt(path: readonly PropertyKey[], overrides: readonly VenueOverride[]) {
  const [top, venue, key] = path;
  if (top !== 'venues') return undefined;
  return overrides.find((override) => override.venue === venue && override.key === key);
}

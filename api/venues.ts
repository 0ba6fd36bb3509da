import type { Pool } from 'pg';
import { describeVenues, unconfiguredVenueAccount, type VenuesConfig } from '../config/venues';
import { accountHealth, type AccountHealth } from '../db/venue-accounts';
import type { VenueRef } from '../domain/venues';

/** What an operator sees of one venue: its configuration (no credential values) and each account's health. */
export async function venuesView(config: VenuesConfig, pool: Pool) {
  const health = await accountHealth(pool);
  const healthOf = (venue: string, account: string) =>
    health.find((row) => row.venue === venue && row.account === account);
  return describeVenues(config).map((venue) => ({
    ...venue,
    accounts: venue.accounts.map((account) => {
      const row = healthOf(venue.venue, account.name);
      return {
        ...account,
        health: row?.state ?? 'unchecked',
        detail: row?.detail ?? 'no worker has checked it yet',
        checkedAt: row?.checked_at.toISOString() ?? null,
        rateLimit: row?.rate_limit ?? '',
      };
    }),
  }));
}

/** Every configured account whose last check was not `ok` (what /status reports). */
export async function unhealthyAccounts(config: VenuesConfig, pool: Pool): Promise<AccountHealth[]> {
  const configured = new Set(
    config.venues.flatMap((setup) => setup.accounts.map((account) => `${setup.venue}/${account.name}`)),
  );
  return (await accountHealth(pool)).filter(
    (row) => configured.has(`${row.venue}/${row.account}`) && row.state !== 'ok',
  );
}

/**
 * Why a symbol may not trade on these venue accounts, or undefined: a venue or market that is not
 * configured, an account the configuration does not list, or one whose credentials the venue refused.
 */
export async function venueRefusal(
  config: VenuesConfig,
  pool: Pool,
  refs: readonly VenueRef[],
): Promise<{ statusCode: 400 | 409; message: string } | undefined> {
  const health = await accountHealth(pool);
  for (const ref of refs) {
    const unconfigured = unconfiguredVenueAccount(config, ref);
    if (unconfigured) return { statusCode: 400, message: unconfigured.message };
    const row = health.find((entry) => entry.venue === ref.venue && entry.account === ref.account);
    if (row?.state === 'bad-credentials')
      return {
        statusCode: 409,
        message: `account ${ref.account} on ${ref.venue} has bad credentials (checked ${row.checked_at.toISOString()}: ${row.detail}); fix them and restart the worker`,
      };
  }
  return undefined;
}

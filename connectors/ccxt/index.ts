export { createCcxtConnector } from './ccxt-connector';
export type { CcxtConnectorOptions } from './ccxt-connector';
export { VENUE_SPECS } from './venues';
export type { CcxtVenue, CcxtVenueSpec } from './venues';
export { credentialsFromEnv, resetSharedExchanges, sharedExchange } from './registry';
export { redact, toConnectorError, venueCodeOf } from './errors';

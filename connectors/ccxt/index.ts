export { createCcxtConnector } from './ccxt-connector';
export type { CcxtConnectorOptions } from './ccxt-connector';
export { VENUE_SPECS } from './venues';
export type { CcxtVenue, CcxtVenueSpec, StreamMethod } from './venues';
export { credentialsFromEnv, resetSharedExchanges, sharedExchange, sharedProExchange } from './registry';
export type { SharedProExchange } from './registry';
export { redact, toConnectorError, venueCodeOf } from './errors';

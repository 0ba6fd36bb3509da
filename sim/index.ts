export { SimExchange } from './exchange';
export type {
  MarketDataEvent,
  SimExchangeOptions,
  SyntheticMarketOptions,
  MarketDriver,
  SnapshotOptions,
  RestoreOptions,
} from './exchange';
export { parseSimSnapshot, SimSnapshotError, SIM_SNAPSHOT_FORMAT, SIM_SNAPSHOT_VERSION } from './snapshot';
export type { SimSnapshot } from './snapshot';
export { SimVenue } from './venue';
export type { BalanceView, PerpAccountView, PositionView, FundingView } from './venue';
export { VenueMarket } from './venue-market';
export type { BookTop, BookDepth } from './venue-market';
export type { OrderView, TradeView, FillView, PlaceOrderRequest, OrderStatus } from './orders';
export { SimError, SIM_ERRORS } from './errors';
export type { SimErrorReason, SimErrorBody } from './errors';
export { SimClient, withFaults, stampError, DEFAULT_RECV_WINDOW_MS, MAX_RECV_WINDOW_MS } from './gateway';
export type { RequestStamp, RequestTiming, Sleep, WallClock } from './gateway';
export { FaultInjector, FaultRuleSchema } from './faults';
export type { FaultRule, FaultRuleInput } from './faults';
export { ManualClock } from './clock';
export { runInRealTime } from './realtime';
export type { Clock } from './clock';
export { createPrng } from './prng';
export { createSimServer } from './server/server';
export { defaultVenueConfig, DEFAULT_SYMBOLS } from './venues-config';
export type { VenueConfig, ClientIdReuse } from './venues-config';
export { attachReplay, loadBinanceCapture, parseBinanceCaptureLine, ReplayDriver } from './replay';
export type * from './ids';
export { asAccountId, asClientOrderId, asVenueOrderId, asSymbolId, VENUE_NAMES } from './ids';

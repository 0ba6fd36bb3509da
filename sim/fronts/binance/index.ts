export { createBinanceFront } from './server';
export type { BinanceFront, BinanceFrontOptions } from './server';
export type { FrontCredential } from './auth';
export { authenticate, sign } from './auth';
export { BinanceApiError, binanceErrorFromSim } from './errors';
export { binanceFrontApiUrls, binanceFrontWsUrls } from './urls';
export type { MarketStream } from './stream';
export type { UserStream } from './user-stream';

export { createBybitFront } from './server';
export type { BybitFront, BybitFrontOptions } from './server';
export type { FrontCredential, SignedRequest } from './auth';
export { authenticate, sign, signaturePayload, streamSignaturePayload } from './auth';
export { BybitApiError, BybitGatewayError, bybitErrorFromSim } from './errors';
export { bybitFrontApiUrls, bybitFrontWsUrls } from './urls';
export type { BybitMarketStream } from './stream';
export type { BybitPrivateStream } from './private-stream';

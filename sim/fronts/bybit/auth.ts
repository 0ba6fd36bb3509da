import { createHmac, timingSafeEqual } from 'node:crypto';
import { stampError } from '../../gateway';
import type { RequestStamp } from '../../gateway';
import { bybitErrors } from './errors';

export interface FrontCredential {
  apiKey: string;
  secret: string;
  /** Simulator account the key trades for. */
  account: string;
}

/** The parts of a private Bybit v5 request its signature covers. */
export interface SignedRequest {
  /** `X-BAPI-API-KEY`. */
  apiKey: string | undefined;
  /** `X-BAPI-TIMESTAMP`, ms since the epoch as sent. */
  timestamp: string | undefined;
  /** `X-BAPI-RECV-WINDOW` as sent (default 5000). */
  recvWindow: string | undefined;
  /** `X-BAPI-SIGN`, hex. */
  signature: string | undefined;
  /** The raw query string (GET) or the raw JSON body (POST) exactly as received. */
  payload: string;
}

/** `timestamp + apiKey + recvWindow + payload`, the string Bybit v5 signs (HMAC-SHA256, hex). */
export function signaturePayload(req: SignedRequest): string {
  return `${req.timestamp ?? ''}${req.apiKey ?? ''}${req.recvWindow ?? ''}${req.payload}`;
}

export function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** The stamp of a signed request, checked at receipt and again when the venue would execute it. */
export function requestStamp(req: SignedRequest): RequestStamp {
  const timestamp = Number(req.timestamp);
  if (req.timestamp === undefined || !/^\d{1,15}$/.test(req.timestamp) || !Number.isSafeInteger(timestamp))
    throw bybitErrors.timestamp();
  const recvWindow = req.recvWindow === undefined ? undefined : Number(req.recvWindow);
  if (recvWindow !== undefined && !Number.isSafeInteger(recvWindow))
    throw bybitErrors.param('recv_window invalid');
  return { timestamp, recvWindow };
}

/**
 * Bybit v5 private endpoint checks, in Bybit's order: a known API key (10003), an HMAC-SHA256 hex
 * signature over timestamp + key + recvWindow + payload (10004), then the timestamp within recvWindow
 * of the server clock and at most 1 s ahead of it (10002). Returns the account of the key.
 */
export function authenticate(
  req: SignedRequest,
  credentials: readonly FrontCredential[],
  nowMs: number,
): string {
  const cred = credentials.find((c) => c.apiKey === req.apiKey);
  if (!cred || req.apiKey === undefined) throw bybitErrors.apiKey();
  const signature = req.signature;
  if (!signature || !/^[0-9a-fA-F]{64}$/.test(signature)) throw bybitErrors.signature();
  const expected = createHmac('sha256', cred.secret).update(signaturePayload(req)).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw bybitErrors.signature();
  const refused = stampError(requestStamp(req), nowMs, 'receipt');
  if (refused?.reason === 'REQUEST_EXPIRED') throw bybitErrors.timestamp();
  if (refused) throw bybitErrors.param('recv_window invalid');
  return cred.account;
}

/** Why a private stream login was refused: the `ret_msg` of the auth answer. */
export class StreamAuthError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'StreamAuthError';
  }
}

/** `GET/realtime${expires}`, the string a Bybit v5 private stream login signs (HMAC-SHA256, hex). */
export const streamSignaturePayload = (expires: string): string => `GET/realtime${expires}`;

/**
 * The private stream's `{"op":"auth","args":[apiKey, expires, signature]}` checks: `expires` a ms
 * timestamp still in the future ("Params Error" otherwise, as Bybit answers an expired login), a known
 * API key, then the signature over `GET/realtime<expires>`. Returns the account of the key.
 */
export function authenticateStream(
  args: unknown,
  credentials: readonly FrontCredential[],
  nowMs: number,
): string {
  if (!Array.isArray(args) || args.length !== 3) throw new StreamAuthError('Params Error');
  const [apiKey, rawExpires, signature] = args as unknown[];
  const expires = typeof rawExpires === 'number' ? String(rawExpires) : rawExpires;
  if (typeof apiKey !== 'string' || typeof expires !== 'string' || typeof signature !== 'string')
    throw new StreamAuthError('Params Error');
  if (!/^\d{1,15}$/.test(expires) || Number(expires) <= nowMs) throw new StreamAuthError('Params Error');
  const cred = credentials.find((c) => c.apiKey === apiKey);
  if (!cred) throw new StreamAuthError(bybitErrors.apiKey().message);
  const expected = createHmac('sha256', cred.secret).update(streamSignaturePayload(expires)).digest();
  if (!/^[0-9a-fA-F]{64}$/.test(signature) || !timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    throw new StreamAuthError(bybitErrors.signature().message);
  return cred.account;
}

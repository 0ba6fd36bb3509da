import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_RECV_WINDOW_MS, stampError } from '../../gateway';
import type { RequestStamp } from '../../gateway';
import { binanceErrors } from './errors';

export interface FrontCredential {
  apiKey: string;
  secret: string;
  /** Simulator account the key trades for. */
  account: string;
}

export interface SignedRequest {
  apiKey: string | undefined;
  /** Raw query string without the leading `?`. */
  rawQuery: string;
  /** Raw `application/x-www-form-urlencoded` body. */
  rawBody: string;
  params: URLSearchParams;
}

function withoutSignature(raw: string): string {
  return raw
    .split('&')
    .filter((p) => p.length > 0 && !p.startsWith('signature='))
    .join('&');
}

/** The credential of a known API key (Binance USER_STREAM endpoints check the key alone), or -2015. */
export function credentialOf(
  credentials: readonly FrontCredential[],
  apiKey: string | undefined,
): FrontCredential {
  const cred = credentials.find((c) => c.apiKey === apiKey);
  if (!cred) throw binanceErrors.apiKey();
  return cred;
}

/**
 * Binance SIGNED endpoint checks: known API key, HMAC-SHA256 (hex) over query string + body without the
 * signature, then timestamp within recvWindow of the server clock. Returns the account of the key.
 */
export function authenticate(
  req: SignedRequest,
  credentials: readonly FrontCredential[],
  nowMs: number,
): string {
  const cred = credentialOf(credentials, req.apiKey);
  const signature = req.params.get('signature');
  if (!signature || !/^[0-9a-fA-F]{64}$/.test(signature)) throw binanceErrors.signature();
  const payload = withoutSignature(req.rawQuery) + withoutSignature(req.rawBody);
  const expected = createHmac('sha256', cred.secret).update(payload).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw binanceErrors.signature();

  const refused = stampError(requestStamp(req.params), nowMs, 'receipt');
  if (refused?.reason === 'REQUEST_EXPIRED') throw binanceErrors.timestamp();
  if (refused) throw binanceErrors.badParam(`recvWindow must be less than ${MAX_RECV_WINDOW_MS}`);
  return cred.account;
}

/**
 * `timestamp` and `recvWindow` of a signed request, which the gateway checks again at the moment the
 * venue would execute it (after any injected latency).
 */
export function requestStamp(params: URLSearchParams): RequestStamp {
  const timestamp = Number(params.get('timestamp'));
  if (!Number.isSafeInteger(timestamp)) throw binanceErrors.mandatory('timestamp');
  const recvWindow = params.get('recvWindow');
  return { timestamp, recvWindow: recvWindow === null ? undefined : Number(recvWindow) };
}

export function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

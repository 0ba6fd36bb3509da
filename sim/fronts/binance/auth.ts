import { createHmac, timingSafeEqual } from 'node:crypto';
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

const MAX_RECV_WINDOW = 60_000;
const DEFAULT_RECV_WINDOW = 5_000;
/** Binance refuses requests stamped more than this far in its future. */
const FUTURE_TOLERANCE_MS = 1_000;

function withoutSignature(raw: string): string {
  return raw
    .split('&')
    .filter((p) => p.length > 0 && !p.startsWith('signature='))
    .join('&');
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
  const cred = credentials.find((c) => c.apiKey === req.apiKey);
  if (!cred) throw binanceErrors.apiKey();
  const signature = req.params.get('signature');
  if (!signature || !/^[0-9a-fA-F]{64}$/.test(signature)) throw binanceErrors.signature();
  const payload = withoutSignature(req.rawQuery) + withoutSignature(req.rawBody);
  const expected = createHmac('sha256', cred.secret).update(payload).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw binanceErrors.signature();

  const timestamp = Number(req.params.get('timestamp'));
  if (!Number.isSafeInteger(timestamp)) throw binanceErrors.mandatory('timestamp');
  const recvWindowText = req.params.get('recvWindow');
  const recvWindow = recvWindowText === null ? DEFAULT_RECV_WINDOW : Number(recvWindowText);
  if (!Number.isFinite(recvWindow) || recvWindow <= 0 || recvWindow > MAX_RECV_WINDOW)
    throw binanceErrors.badParam('recvWindow must be less than 60000');
  if (timestamp > nowMs + FUTURE_TOLERANCE_MS || nowMs - timestamp > recvWindow)
    throw binanceErrors.timestamp();
  return cred.account;
}

export function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

import ccxt from 'ccxt';
import { ConnectorError } from '../exchange-connector';
import type { ConnectorErrorKind } from '../exchange-connector';
import { OTHER_DUPLICATE_CODES } from './venues';
import type { CcxtVenueSpec } from './venues';

/** Operations whose failure on the wire leaves the outcome unknown. */
export type CcxtOp = 'createOrder' | 'cancelOrder' | 'read';

/** Binance codes with a fixed meaning (spot and USD-M futures share the numbering). */
const BINANCE_CODES: Record<string, ConnectorErrorKind> = {
  '-1121': 'unknown-symbol',
  '-2011': 'order-not-found',
  '-2013': 'order-not-found',
  '-2019': 'insufficient-funds',
  '-2014': 'auth',
  '-2015': 'auth',
  '-1022': 'auth',
  // Timestamp outside recvWindow: nothing happened; a fresh timestamp may pass (ccxt: InvalidNonce).
  '-1021': 'retryable',
  // A user-data listenKey expired or was closed (ccxt: AuthenticationError): a new login gets another.
  '-1125': 'retryable',
  '-1003': 'retryable',
  '-1001': 'retryable',
  '-1007': 'retryable',
  '-1013': 'invalid-order',
  '-1100': 'invalid-order',
  '-1102': 'invalid-order',
  '-1111': 'invalid-order',
  '-4005': 'invalid-order',
  '-4014': 'invalid-order',
  '-4164': 'invalid-order',
  '-5022': 'invalid-order',
  '-2022': 'invalid-order',
};

/** The venue's own error code, as ccxt embeds the response body in its messages. */
export function venueCodeOf(message: string): string | undefined {
  for (const re of [/"sCode"\s*:\s*"?(-?\d+)/, /"retCode"\s*:\s*"?(-?\d+)/, /"code"\s*:\s*"?(-?\d+)/]) {
    const m = re.exec(message);
    if (m?.[1] !== undefined && m[1] !== '0') return m[1];
  }
  return undefined;
}

function kindFromCode(spec: CcxtVenueSpec, code: string, message: string): ConnectorErrorKind | undefined {
  if (spec.duplicateCodes.includes(code) || OTHER_DUPLICATE_CODES.includes(code))
    return 'duplicate-client-order-id';
  if (spec.ccxtId !== 'binance') return undefined;
  if (code === '-2010') {
    // NEW_ORDER_REJECTED covers several causes; only the message tells them apart.
    if (/duplicate/i.test(message)) return 'duplicate-client-order-id';
    if (/insufficient/i.test(message)) return 'insufficient-funds';
    return 'invalid-order';
  }
  return BINANCE_CODES[code];
}

function kindFromClass(e: unknown, op: CcxtOp): ConnectorErrorKind | undefined {
  // On order entry any transport-level failure means the order may or may not exist.
  if (op === 'createOrder' && (e instanceof ccxt.NetworkError || e instanceof ccxt.ExchangeNotAvailable))
    return 'retryable';
  if (e instanceof ccxt.DuplicateOrderId) return 'duplicate-client-order-id';
  if (e instanceof ccxt.OrderNotFound) return 'order-not-found';
  if (e instanceof ccxt.BadSymbol) return 'unknown-symbol';
  if (e instanceof ccxt.InsufficientFunds) return 'insufficient-funds';
  if (e instanceof ccxt.AuthenticationError) return 'auth';
  if (e instanceof ccxt.InvalidOrder) return 'invalid-order';
  if (e instanceof ccxt.NetworkError) return 'retryable';
  if (e instanceof ccxt.BadRequest || e instanceof ccxt.ExchangeError) return 'invalid-order';
  return undefined;
}

/** Removes anything credential-like from a message before it leaves the connector. */
export function redact(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out
    .replace(/signature=[0-9a-fA-F]+/g, 'signature=[redacted]')
    .replace(/listenKey=[0-9A-Za-z]+/g, 'listenKey=[redacted]')
    .replace(/X-MBX-APIKEY[^,}\n]*/gi, 'X-MBX-APIKEY [redacted]');
}

/**
 * Maps whatever ccxt threw onto the port's error set: venue codes first (ccxt's class for them is
 * often too coarse, e.g. InvalidOrder for a duplicate id), then ccxt's exception hierarchy. The message
 * is redacted; the original error is not attached (it may carry request details).
 */
export function toConnectorError(
  e: unknown,
  spec: CcxtVenueSpec,
  op: CcxtOp,
  secrets: readonly (string | undefined)[],
): ConnectorError {
  if (e instanceof ConnectorError) return e;
  const raw = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const message = redact(raw, secrets);
  const code = venueCodeOf(raw);
  const kind =
    (code !== undefined ? kindFromCode(spec, code, raw) : undefined) ??
    kindFromClass(e, op) ??
    // Not a ccxt error at all (a broken socket below ccxt): the outcome is unknown, look before retrying.
    'retryable';
  return new ConnectorError(kind, `${spec.ccxtId}: ${message}`, code);
}

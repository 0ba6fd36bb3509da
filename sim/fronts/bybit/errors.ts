import type { SimErrorReason } from '../../errors';

/** Bybit v5 `category` of a request: spot or USDT linear perpetuals. */
export type BybitCategory = 'spot' | 'linear';

/**
 * A Bybit v5 rejection: the `{ retCode, retMsg, result: {}, retExtInfo: {}, time }` envelope with a
 * non-zero retCode (HTTP 200, as Bybit answers business errors).
 */
export class BybitApiError extends Error {
  constructor(
    readonly retCode: number,
    msg: string,
    readonly http = 200,
  ) {
    super(msg);
    this.name = 'BybitApiError';
  }
}

/**
 * A failure Bybit's gateway answers outside the envelope (an HTML/plain 5xx page): ccxt then goes by
 * the HTTP status (503 -> ExchangeNotAvailable), as for a real outage.
 */
export class BybitGatewayError extends Error {
  constructor(
    readonly http: number,
    msg: string,
  ) {
    super(msg);
    this.name = 'BybitGatewayError';
  }
}

export const bybitErrors = {
  timestamp: () =>
    new BybitApiError(10002, 'invalid request, please check your server timestamp or recv_window param'),
  apiKey: () => new BybitApiError(10003, 'API key is invalid.'),
  signature: () => new BybitApiError(10004, 'Error sign, please check your signature generation algorithm.'),
  /** ccxt maps this message (broadly) to BadSymbol. */
  badSymbol: () => new BybitApiError(10001, 'Not supported symbols'),
  param: (msg: string) => new BybitApiError(10001, msg),
  category: () => new BybitApiError(10001, 'Illegal category'),
  unknownRoute: () => new BybitGatewayError(404, 'Not Found'),
  noSuchOrder: (c: BybitCategory) =>
    c === 'spot'
      ? new BybitApiError(170213, 'Order does not exist.')
      : new BybitApiError(110001, 'Order does not exist'),
};

/**
 * The simulator's rejection as Bybit v5 words it for the category, with retCodes ccxt's bybit table
 * maps onto the right classes (170131/110007 InsufficientFunds, 110001/170213 OrderNotFound, 1700xx and
 * 1100xx InvalidOrder, 10001 BadRequest, "Not supported symbols" BadSymbol, 10006 RateLimitExceeded).
 * 110072 (duplicate orderLinkId) is an InvalidOrder to ccxt; Keel's connector recognises the code.
 */
export function bybitErrorFromSim(
  reason: SimErrorReason,
  c: BybitCategory,
): BybitApiError | BybitGatewayError {
  const spot = c === 'spot';
  switch (reason) {
    case 'UNKNOWN_SYMBOL':
      return bybitErrors.badSymbol();
    case 'PRICE_OFF_TICK':
      return spot
        ? new BybitApiError(170134, 'Order price decimal too long.')
        : bybitErrors.param('Price invalid: not a multiple of tickSize.');
    case 'QTY_OFF_STEP':
      return spot
        ? new BybitApiError(170137, 'Order volume decimal too long.')
        : bybitErrors.param('Qty invalid: not a multiple of qtyStep.');
    case 'QTY_BELOW_MIN':
      return spot
        ? new BybitApiError(170136, 'Order quantity lower than the minimum.')
        : bybitErrors.param('The number of contracts below min limit allowed');
    case 'QTY_ABOVE_MAX':
      return spot
        ? new BybitApiError(170135, 'Order quantity too large.')
        : bybitErrors.param('The number of contracts exceeds maximum limit allowed');
    case 'NOTIONAL_BELOW_MIN':
      return spot
        ? new BybitApiError(170140, 'Order value exceeded lower limit.')
        : new BybitApiError(110094, 'Order does not meet minimum order value');
    case 'INVALID_NUMBER':
    case 'MALFORMED_REQUEST':
    case 'UNKNOWN_VENUE':
      return bybitErrors.param('params error');
    case 'PRICE_REQUIRED':
      return bybitErrors.param('Missing price for a Limit order');
    case 'POST_ONLY_WOULD_CROSS':
      return spot
        ? new BybitApiError(170210, 'New order rejected: PostOnly order would take liquidity.')
        : new BybitApiError(110003, 'PostOnly order would take liquidity.');
    case 'INSUFFICIENT_BALANCE':
    case 'INSUFFICIENT_MARGIN':
      return spot
        ? new BybitApiError(170131, 'Insufficient balance.')
        : new BybitApiError(110007, 'ab not enough for new order');
    case 'REDUCE_ONLY_REJECTED':
      return new BybitApiError(110017, 'Reduce-only rule not satisfied');
    case 'DUPLICATE_CLIENT_ORDER_ID':
      return new BybitApiError(110072, 'OrderLinkedID is duplicate');
    case 'UNKNOWN_ORDER':
    case 'ORDER_NOT_OPEN':
      return bybitErrors.noSuchOrder(c);
    case 'RATE_LIMITED':
      return new BybitApiError(10006, 'Too many visits. Exceeded the API Rate Limit.');
    case 'SERVER_ERROR':
      return new BybitGatewayError(503, 'Service Unavailable');
    case 'REQUEST_EXPIRED':
      return bybitErrors.timestamp();
    case 'NETWORK_TIMEOUT':
      return new BybitGatewayError(504, 'Gateway Timeout');
  }
}

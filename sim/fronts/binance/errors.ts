import type { SimErrorReason } from '../../errors';

export type FrontMarket = 'spot' | 'futures';

/** A Binance-style rejection: HTTP status plus `{ code, msg }`. */
export class BinanceApiError extends Error {
  constructor(
    readonly http: number,
    readonly code: number,
    msg: string,
  ) {
    super(msg);
    this.name = 'BinanceApiError';
  }
  toBody(): { code: number; msg: string } {
    return { code: this.code, msg: this.message };
  }
}

export const binanceErrors = {
  timestamp: () =>
    new BinanceApiError(400, -1021, 'Timestamp for this request is outside of the recvWindow.'),
  signature: () => new BinanceApiError(400, -1022, 'Signature for this request is not valid.'),
  apiKey: () => new BinanceApiError(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
  badSymbol: () => new BinanceApiError(400, -1121, 'Invalid symbol.'),
  mandatory: (name: string) =>
    new BinanceApiError(
      400,
      -1102,
      `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`,
    ),
  badParam: (msg: string) => new BinanceApiError(400, -1102, msg),
  unknownRoute: () => new BinanceApiError(404, -1000, 'Unknown endpoint.'),
  noSuchOrder: () => new BinanceApiError(400, -2013, 'Order does not exist.'),
  cancelUnknown: () => new BinanceApiError(400, -2011, 'Unknown order sent.'),
};

/** The simulator's rejection as the real Binance market (spot or USD-M futures) would word it. */
export function binanceErrorFromSim(reason: SimErrorReason, market: FrontMarket): BinanceApiError {
  const spot = market === 'spot';
  switch (reason) {
    case 'UNKNOWN_SYMBOL':
      return binanceErrors.badSymbol();
    case 'PRICE_OFF_TICK':
      return spot
        ? new BinanceApiError(400, -1013, 'Filter failure: PRICE_FILTER')
        : new BinanceApiError(400, -4014, 'Price not increased by tick size.');
    case 'QTY_OFF_STEP':
      return spot
        ? new BinanceApiError(400, -1013, 'Filter failure: LOT_SIZE')
        : new BinanceApiError(400, -1111, 'Precision is over the maximum defined for this asset.');
    case 'QTY_BELOW_MIN':
    case 'QTY_ABOVE_MAX':
      return spot
        ? new BinanceApiError(400, -1013, 'Filter failure: LOT_SIZE')
        : new BinanceApiError(400, -4005, 'Quantity greater than max quantity.');
    case 'NOTIONAL_BELOW_MIN':
      return spot
        ? new BinanceApiError(400, -1013, 'Filter failure: NOTIONAL')
        : new BinanceApiError(
            400,
            -4164,
            "Order's notional must be no smaller than 5 (unless you choose reduce only).",
          );
    case 'INVALID_NUMBER':
      return new BinanceApiError(400, -1100, 'Illegal characters found in a parameter.');
    case 'MALFORMED_REQUEST':
    case 'UNKNOWN_VENUE':
      return new BinanceApiError(
        400,
        -1102,
        'Mandatory parameter was not sent, was empty/null, or malformed.',
      );
    case 'PRICE_REQUIRED':
      return binanceErrors.mandatory('price');
    case 'POST_ONLY_WOULD_CROSS':
      return spot
        ? new BinanceApiError(400, -2010, 'Order would immediately match and take.')
        : new BinanceApiError(
            400,
            -5022,
            'Due to the order could not be executed as maker, the Post Only order will be rejected.',
          );
    case 'INSUFFICIENT_BALANCE':
      return new BinanceApiError(400, -2010, 'Account has insufficient balance for requested action.');
    case 'INSUFFICIENT_MARGIN':
      return new BinanceApiError(400, -2019, 'Margin is insufficient.');
    case 'REDUCE_ONLY_REJECTED':
      return new BinanceApiError(400, -2022, 'ReduceOnly Order is rejected.');
    case 'DUPLICATE_CLIENT_ORDER_ID':
      return spot
        ? new BinanceApiError(400, -2010, 'Duplicate order sent.')
        : new BinanceApiError(400, -4116, 'ClientOrderId is duplicated.');
    case 'UNKNOWN_ORDER':
      return binanceErrors.noSuchOrder();
    case 'ORDER_NOT_OPEN':
      return binanceErrors.cancelUnknown();
    case 'RATE_LIMITED':
      return new BinanceApiError(
        429,
        -1003,
        'Too many requests; current limit is 6000 request weight per 1 MINUTE.',
      );
    case 'SERVER_ERROR':
      return new BinanceApiError(
        503,
        -1001,
        'Internal error; unable to process your request. Please try again.',
      );
    case 'REQUEST_EXPIRED':
      return binanceErrors.timestamp();
    case 'NETWORK_TIMEOUT':
      return new BinanceApiError(
        503,
        -1007,
        'Timeout waiting for response from backend server. Send status unknown; execution status unknown.',
      );
  }
}

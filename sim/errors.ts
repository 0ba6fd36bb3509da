/**
 * The simulator's rejection vocabulary. `code` is numeric and Binance-flavoured so clients written
 * against real venues map them naturally; `reason` is the stable name Keel's connector matches on.
 */
export const SIM_ERRORS = {
  MALFORMED_REQUEST: { code: -1102, http: 400, msg: 'Mandatory parameter missing or malformed.' },
  INVALID_NUMBER: { code: -1100, http: 400, msg: 'Illegal characters found in a numeric parameter.' },
  UNKNOWN_VENUE: { code: -1120, http: 404, msg: 'Unknown venue or market.' },
  UNKNOWN_SYMBOL: { code: -1121, http: 400, msg: 'Invalid symbol.' },
  PRICE_OFF_TICK: { code: -4014, http: 400, msg: 'Price not increased by tick size.' },
  QTY_OFF_STEP: { code: -4023, http: 400, msg: 'Quantity not increased by step size.' },
  QTY_BELOW_MIN: { code: -4004, http: 400, msg: 'Quantity less than minimum quantity.' },
  QTY_ABOVE_MAX: { code: -4005, http: 400, msg: 'Quantity greater than maximum quantity.' },
  NOTIONAL_BELOW_MIN: { code: -4164, http: 400, msg: 'Order notional below minimum notional.' },
  PRICE_REQUIRED: { code: -1106, http: 400, msg: 'Limit order requires a price.' },
  POST_ONLY_WOULD_CROSS: {
    code: -5022,
    http: 400,
    msg: 'Post-only order would immediately match and was rejected.',
  },
  INSUFFICIENT_BALANCE: {
    code: -2010,
    http: 400,
    msg: 'Account has insufficient balance for requested action.',
  },
  INSUFFICIENT_MARGIN: { code: -2019, http: 400, msg: 'Margin is insufficient.' },
  REDUCE_ONLY_REJECTED: { code: -2022, http: 400, msg: 'ReduceOnly order would increase the position.' },
  DUPLICATE_CLIENT_ORDER_ID: { code: -4116, http: 409, msg: 'Client order id is duplicated.' },
  UNKNOWN_ORDER: { code: -2013, http: 404, msg: 'Order does not exist.' },
  ORDER_NOT_OPEN: { code: -2011, http: 400, msg: 'Order is not open; cannot cancel.' },
  RATE_LIMITED: { code: -1003, http: 429, msg: 'Too many requests; rate limit exceeded.' },
  SERVER_ERROR: {
    code: -1001,
    http: 503,
    msg: 'Internal error; unable to process your request. Please try again.',
  },
  NETWORK_TIMEOUT: { code: -1007, http: 504, msg: 'Timeout waiting for response; execution status unknown.' },
  REQUEST_EXPIRED: {
    code: -1021,
    http: 400,
    msg: 'Timestamp for this request is outside of the recvWindow.',
  },
} as const;

export type SimErrorReason = keyof typeof SIM_ERRORS;

export interface SimErrorBody {
  code: number;
  reason: SimErrorReason;
  msg: string;
}

export class SimError extends Error {
  readonly code: number;
  readonly httpStatus: number;
  constructor(
    readonly reason: SimErrorReason,
    detail?: string,
  ) {
    const spec = SIM_ERRORS[reason];
    super(detail ? `${spec.msg} ${detail}` : spec.msg);
    this.name = 'SimError';
    this.code = spec.code;
    this.httpStatus = spec.http;
  }
  toBody(): SimErrorBody {
    return { code: this.code, reason: this.reason, msg: this.message };
  }
  /** True when the request may or may not have taken effect (caller must reconcile, e.g. by client id). */
  get outcomeUnknown(): boolean {
    return this.reason === 'NETWORK_TIMEOUT';
  }
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ccxt from 'ccxt';
import {
  VENUE_SPECS,
  credentialsFromEnv,
  redact,
  toConnectorError,
  venueCodeOf,
} from '../../../connectors/ccxt';
import { ConnectorError, type ConnectorErrorKind } from '../../../connectors/exchange-connector';
import { compare, divideExact, isMultipleOf, multiply } from '../../../domain/decimal';

const map = (
  venue: keyof typeof VENUE_SPECS,
  e: unknown,
  op: 'createOrder' | 'cancelOrder' | 'read' = 'read',
) => toConnectorError(e, VENUE_SPECS[venue], op, []);

/**
 * A venue's error response as the venue documents it (code and message, HTTP status, endpoint), handed
 * to the real ccxt class's own response handler: what it throws is what the adapter meets in production.
 * Neither the ccxt class nor the message is chosen by the test.
 */
interface VenueFact {
  venue: keyof typeof VENUE_SPECS;
  /** The ccxt class that talks to the endpoint (binanceusdm for Binance USD-M futures). */
  ccxtClass: 'binance' | 'binanceusdm' | 'bybit' | 'okx' | 'bitget';
  url: string;
  status: number;
  body: string;
  kind: ConnectorErrorKind;
  /** The venue code the adapter reports, when ccxt's message carries the body. */
  venueCode?: string;
}

function raisedByCcxt(fact: VenueFact): unknown {
  const exchange = new ccxt[fact.ccxtClass]();
  try {
    exchange.handleErrors(
      fact.status,
      'error',
      fact.url,
      'POST',
      {},
      fact.body,
      JSON.parse(fact.body),
      {},
      '',
    );
  } catch (error) {
    return error;
  }
  return assert.fail(`ccxt ${fact.ccxtClass} raised nothing for ${fact.body}`);
}

const SPOT = 'https://api.binance.com/api/v3/order';
const USDM = 'https://fapi.binance.com/fapi/v1/order';
const binance = (status: number, code: number, msg: string, url = SPOT) => ({
  venue: 'binance' as const,
  ccxtClass: url === SPOT ? ('binance' as const) : ('binanceusdm' as const),
  url,
  status,
  body: JSON.stringify({ code, msg }),
});

/** docs/connectors.md's error set, one documented venue response per row. */
const VENUE_FACTS: VenueFact[] = [
  // A reused client order id: ccxt raises InvalidOrder or a bare ExchangeError; the code decides.
  { ...binance(400, -2010, 'Duplicate order sent.'), kind: 'duplicate-client-order-id', venueCode: '-2010' },
  {
    ...binance(400, -4116, 'ClientOrderId is duplicated.', USDM),
    kind: 'duplicate-client-order-id',
    venueCode: '-4116',
  },
  {
    venue: 'bybit',
    ccxtClass: 'bybit',
    url: 'https://api.bybit.com/v5/order/create',
    status: 200,
    body: '{"retCode":110072,"retMsg":"OrderLinkedID is duplicate","result":{},"retExtInfo":{},"time":1700000000000}',
    kind: 'duplicate-client-order-id',
    venueCode: '110072',
  },
  {
    venue: 'okx',
    ccxtClass: 'okx',
    url: 'https://www.okx.com/api/v5/trade/order',
    status: 200,
    body: '{"code":"1","data":[{"clOrdId":"K1","ordId":"","sCode":"51016","sMsg":"Duplicated clOrdId","tag":"","ts":"1700000000000"}],"inTime":"1700000000000000","msg":"All operations failed","outTime":"1700000000000001"}',
    kind: 'duplicate-client-order-id',
    venueCode: '51016',
  },
  {
    // Bitget is not driven, but its duplicate code is recognised wherever it is met.
    venue: 'mexc',
    ccxtClass: 'bitget',
    url: 'https://api.bitget.com/api/v2/spot/trade/place-order',
    status: 400,
    body: '{"code":"40786","msg":"Duplicate clientOid","requestTime":1700000000000,"data":null}',
    kind: 'duplicate-client-order-id',
    venueCode: '40786',
  },
  // -2010 (NEW_ORDER_REJECTED) has several causes: only the message tells them apart.
  {
    ...binance(400, -2010, 'Account has insufficient balance for requested action.'),
    kind: 'insufficient-funds',
  },
  { ...binance(400, -2010, 'Order would immediately match and take.'), kind: 'invalid-order' },
  { ...binance(400, -2019, 'Margin is insufficient.', USDM), kind: 'insufficient-funds', venueCode: '-2019' },
  { ...binance(400, -1121, 'Invalid symbol.'), kind: 'unknown-symbol', venueCode: '-1121' },
  { ...binance(400, -2011, 'Unknown order sent.'), kind: 'order-not-found', venueCode: '-2011' },
  { ...binance(400, -2013, 'Order does not exist.'), kind: 'order-not-found', venueCode: '-2013' },
  { ...binance(400, -1022, 'Signature for this request is not valid.'), kind: 'auth', venueCode: '-1022' },
  { ...binance(400, -2014, 'API-key format invalid.'), kind: 'auth', venueCode: '-2014' },
  {
    ...binance(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
    kind: 'auth',
    venueCode: '-2015',
  },
  // Outside recvWindow: nothing was placed, a fresh timestamp may pass.
  {
    ...binance(400, -1021, 'Timestamp for this request is outside of the recvWindow.'),
    kind: 'retryable',
    venueCode: '-1021',
  },
  {
    ...binance(429, -1003, 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute.'),
    kind: 'retryable',
    venueCode: '-1003',
  },
  {
    ...binance(500, -1001, 'Internal error; unable to process your request. Please try again.'),
    kind: 'retryable',
    venueCode: '-1001',
  },
  {
    ...binance(
      503,
      -1007,
      'Timeout waiting for response from backend server. Send status unknown; execution status unknown.',
    ),
    kind: 'retryable',
    venueCode: '-1007',
  },
  { ...binance(400, -1013, 'Filter failure: PRICE_FILTER'), kind: 'invalid-order', venueCode: '-1013' },
  { ...binance(400, -1013, 'Filter failure: NOTIONAL'), kind: 'invalid-order', venueCode: '-1013' },
  {
    ...binance(400, -4014, 'Price not increased by tick size.', USDM),
    kind: 'invalid-order',
    venueCode: '-4014',
  },
  {
    ...binance(
      400,
      -5022,
      'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history',
      USDM,
    ),
    kind: 'invalid-order',
    venueCode: '-5022',
  },
];

void describe('ccxt error mapping', () => {
  for (const fact of VENUE_FACTS) {
    void test(`${fact.ccxtClass} ${fact.status} ${fact.body.slice(0, 70)} -> ${fact.kind}`, () => {
      const raised = raisedByCcxt(fact);
      const mapped = map(fact.venue, raised, 'createOrder');
      assert.equal(mapped.kind, fact.kind, `ccxt raised ${String(raised)}`);
      if (fact.venueCode !== undefined) assert.equal(mapped.venueCode, fact.venueCode);
    });
  }

  void test('on createOrder any network failure is retryable (outcome unknown)', () => {
    for (const e of [
      new ccxt.NetworkError('binance GET http://x fetch failed'),
      new ccxt.RequestTimeout('binance POST timed out'),
      new ccxt.ExchangeNotAvailable('binance 503'),
      new ccxt.DDoSProtection('binance 429'),
      new TypeError('socket hang up'),
    ]) {
      assert.equal(map('binance', e, 'createOrder').kind, 'retryable', e.message);
    }
  });

  void test('class fallbacks', () => {
    assert.equal(map('okx', new ccxt.BadSymbol('okx bad symbol')).kind, 'unknown-symbol');
    assert.equal(map('okx', new ccxt.OrderNotFound('okx gone')).kind, 'order-not-found');
    assert.equal(map('okx', new ccxt.InsufficientFunds('okx poor')).kind, 'insufficient-funds');
    assert.equal(map('okx', new ccxt.AuthenticationError('okx key')).kind, 'auth');
    assert.equal(map('okx', new ccxt.PermissionDenied('okx perm')).kind, 'auth');
    assert.equal(map('okx', new ccxt.DuplicateOrderId('okx dup')).kind, 'duplicate-client-order-id');
    assert.equal(map('okx', new ccxt.InvalidOrder('okx bad')).kind, 'invalid-order');
    assert.equal(map('okx', new ccxt.RateLimitExceeded('okx slow down')).kind, 'retryable');
  });

  void test('ConnectorErrors pass through untouched', () => {
    const e = new ConnectorError('auth', 'x');
    assert.equal(map('binance', e), e);
  });

  void test('venue code extraction', () => {
    assert.equal(venueCodeOf('binance {"code":-2010,"msg":"x"}'), '-2010');
    assert.equal(venueCodeOf('bybit {"retCode":110072}'), '110072');
    assert.equal(venueCodeOf('okx {"code":"1","data":[{"sCode":"51016"}]}'), '51016');
    assert.equal(venueCodeOf('okx {"code":"0"}'), undefined);
    assert.equal(venueCodeOf('no code here'), undefined);
  });

  void test('messages are redacted', () => {
    const e = map(
      'binance',
      new ccxt.NetworkError(
        'binance GET http://h/api/v3/account?timestamp=1&signature=' +
          'ab'.repeat(32) +
          ' key=K3YV4LUE s=S3CR3T',
      ),
      'read',
    );
    assert.match(e.message, /signature=\[redacted\]/);
    const withSecrets = toConnectorError(
      new ccxt.AuthenticationError('bad K3YV4LUE S3CR3T'),
      VENUE_SPECS.binance,
      'read',
      ['K3YV4LUE', 'S3CR3T'],
    );
    assert.equal(withSecrets.message.includes('K3YV4LUE') || withSecrets.message.includes('S3CR3T'), false);
    assert.equal(redact('x S3CR3T y', ['S3CR3T']), 'x [redacted] y');
  });
});

void describe('ccxt venue facts', () => {
  void test('client order id parameters per venue (ccxt 4.5.84)', () => {
    assert.equal(VENUE_SPECS.binance.createClientIdParam, 'newClientOrderId');
    assert.equal(VENUE_SPECS.binance.lookupClientIdParam, 'origClientOrderId');
    assert.equal(VENUE_SPECS.bybit.createClientIdParam, 'orderLinkId');
    assert.equal(VENUE_SPECS.okx.createClientIdParam, 'clOrdId');
    assert.equal(VENUE_SPECS.mexc.createClientIdParam, 'clientOrderId');
  });

  void test('MEXC futures is a price source only', () => {
    assert.equal(VENUE_SPECS.mexc.capabilities.perp.canTrade, false);
    assert.equal(VENUE_SPECS.mexc.capabilities.spot.canTrade, true);
  });

  void test('credentials come from KEEL_<VENUE>_API_KEY / _SECRET only', () => {
    const env = {
      KEEL_OKX_API_KEY: 'k',
      KEEL_OKX_SECRET: 's',
      KEEL_OKX_PASSWORD: 'p',
      KEEL_BYBIT_API_KEY: 'other',
    };
    assert.deepEqual(credentialsFromEnv('okx', env), { apiKey: 'k', secret: 's', password: 'p' });
    assert.deepEqual(credentialsFromEnv('binance', env), {
      apiKey: undefined,
      secret: undefined,
      password: undefined,
    });
  });
});

void describe('decimal helpers', () => {
  void test('grid checks and exact products/quotients', () => {
    assert.equal(isMultipleOf('49000.01', '0.01'), true);
    assert.equal(isMultipleOf('49000.001', '0.01'), false);
    assert.equal(isMultipleOf('0.3', '0.1'), true); // 0.3 % 0.1 is not 0 in floating point
    assert.equal(multiply('0.01', '3'), '0.03');
    assert.equal(multiply('1.5', '0.01'), '0.015');
    assert.equal(divideExact('0.05', '0.01'), '5');
    assert.equal(divideExact('1', '3'), undefined);
    assert.equal(compare('10', '9.99'), 1);
    assert.equal(compare('-1', '0'), -1);
  });
});

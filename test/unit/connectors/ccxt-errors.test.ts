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
import { ConnectorError } from '../../../connectors/exchange-connector';
import { compare, divideExact, isMultipleOf, multiply } from '../../../domain/decimal';

const map = (
  venue: keyof typeof VENUE_SPECS,
  e: unknown,
  op: 'createOrder' | 'cancelOrder' | 'read' = 'read',
) => toConnectorError(e, VENUE_SPECS[venue], op, []);

void describe('ccxt error mapping', () => {
  void test('duplicate client ids by venue code, whatever class ccxt picked', () => {
    const cases: Array<[keyof typeof VENUE_SPECS, Error]> = [
      ['binance', new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}')],
      ['binance', new ccxt.ExchangeError('binanceusdm {"code":-4116,"msg":"ClientOrderId is duplicated."}')],
      [
        'bybit',
        new ccxt.InvalidOrder('bybit {"retCode":110072,"retMsg":"OrderLinkedID is duplicate","result":{}}'),
      ],
      [
        'okx',
        new ccxt.InvalidOrder(
          'okx {"code":"1","data":[{"clOrdId":"a","sCode":"51016","sMsg":"Duplicated clOrdId"}],"msg":""}',
        ),
      ],
      ['mexc', new ccxt.InvalidOrder('bitget {"code":"40786","msg":"Duplicate clientOid"}')],
    ];
    for (const [venue, e] of cases) {
      const c = map(venue, e, 'createOrder');
      assert.equal(c.kind, 'duplicate-client-order-id', e.message);
    }
    assert.equal(
      map('binance', new ccxt.ExchangeError('binanceusdm {"code":-4116,"msg":"x"}')).venueCode,
      '-4116',
    );
  });

  void test('binance -2010 is told apart by its message', () => {
    const funds = new ccxt.InvalidOrder(
      'binance {"code":-2010,"msg":"Account has insufficient balance for requested action."}',
    );
    assert.equal(map('binance', funds).kind, 'insufficient-funds');
    assert.equal(
      map(
        'binance',
        new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Order would immediately match and take."}'),
      ).kind,
      'invalid-order',
    );
  });

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

  void test('binance codes: -1121 unknown symbol, -2011/-2013 not found, -1022 auth, -1021 retryable', () => {
    const b = (code: number) =>
      map('binance', new ccxt.ExchangeError(`binance {"code":${code},"msg":"m"}`)).kind;
    assert.equal(b(-1121), 'unknown-symbol');
    assert.equal(b(-2011), 'order-not-found');
    assert.equal(b(-2013), 'order-not-found');
    assert.equal(b(-1022), 'auth');
    assert.equal(b(-2015), 'auth');
    assert.equal(b(-1021), 'retryable');
    assert.equal(b(-2019), 'insufficient-funds');
    assert.equal(b(-1013), 'invalid-order');
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

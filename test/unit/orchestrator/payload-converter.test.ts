import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import fc from 'fast-check';
import { payloadConverter } from '../../../workflows/payload-converter';
import { isUndecodablePayload } from '../../../workflows/undecodable-payload';

const bytes = (text: string) => new TextEncoder().encode(text);
const payload = (encoding: string | undefined, data?: Uint8Array): Payload => ({
  metadata: encoding === undefined ? {} : { encoding: bytes(encoding) },
  ...(data ? { data } : {}),
});

describe("Keel's payload converter", () => {
  test('encodes exactly as the default converter, and decodes what it encodes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.uint8Array()), (value) => {
        const encoded = payloadConverter.toPayload(value);
        assert.deepEqual(encoded, defaultPayloadConverter.toPayload(value));
        assert.deepEqual(payloadConverter.fromPayload(encoded), defaultPayloadConverter.fromPayload(encoded));
      }),
    );
  });

  test('an undecodable payload becomes a marker naming its encoding and the reason', () => {
    const cases: Array<[Payload, string, RegExp]> = [
      [payload('application/x-fuzz', bytes('{}')), 'application/x-fuzz', /Unknown encoding/],
      [payload('json/plain', bytes('not json')), 'json/plain', /JSON/],
      [payload('json/plain', new Uint8Array([0xd7, 0x6d, 0xf8])), 'json/plain', /JSON/],
      [payload('json/plain'), 'json/plain', /no data/],
      [payload('binary/null', new Uint8Array([1, 2, 3])), 'binary/null', /3 bytes/],
      [payload(undefined, bytes('{}')), '(none)', /Unknown encoding/],
      [payload('bad\nencoding\u0000', bytes('{}')), 'bad?encoding?', /Unknown encoding/],
    ];
    for (const [input, encoding, reason] of cases) {
      const value: unknown = payloadConverter.fromPayload(input);
      assert.ok(isUndecodablePayload(value), `a marker for ${encoding}`);
      assert.equal(value.undecodablePayload.encoding, encoding);
      assert.match(value.undecodablePayload.reason, reason);
      assert.ok(value.undecodablePayload.reason.length <= 200);
    }
  });

  test('binary/null without data is still undefined (a signal sent with no argument)', () => {
    assert.equal(payloadConverter.fromPayload(payload('binary/null')), undefined);
    assert.equal(payloadConverter.fromPayload(payload('binary/null', new Uint8Array())), undefined);
  });

  test('decoded values are never taken for the marker', () => {
    for (const value of [{}, { undecodablePayload: true }, null, 'undecodablePayload', [1]])
      assert.equal(
        isUndecodablePayload(payloadConverter.fromPayload(payloadConverter.toPayload(value))),
        false,
      );
  });
});

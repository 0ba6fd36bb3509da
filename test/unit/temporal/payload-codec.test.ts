import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { CodecKeysSchema } from '../../../config/codec-keys';
import { AesGcmPayloadCodec, PayloadCodecError } from '../../../temporal/payload-codec';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const codecWith = (keys: Record<string, Buffer>, activeKeyId: string) =>
  new AesGcmPayloadCodec({ keys: new Map(Object.entries(keys)), activeKeyId });
const plain = defaultPayloadConverter.toPayload({ symbol: 'BTC-USDT', note: 'canary-1f2e' });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('latin1');

test('a sealed payload hides its data and encoding, names its key, and opens to the same payload', async () => {
  const codec = codecWith({ k1 }, 'k1');
  const [sealed] = await codec.encode([plain]);
  assert.equal(text(sealed!.metadata!.encoding), 'binary/encrypted');
  assert.equal(text(sealed!.metadata!['encryption-key-id']), 'k1');
  assert.doesNotMatch(text(sealed!.data), /canary|json\/plain/);
  const [opened] = await codec.decode([sealed!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), { symbol: 'BTC-USDT', note: 'canary-1f2e' });
  assert.equal(text(opened!.metadata!.encoding), 'json/plain');
  const [again] = await codec.encode([plain]);
  assert.notDeepEqual(again!.data, sealed!.data, 'a fresh IV each time');
});

test('rotation: the new active key seals, the old one still opens what it sealed; without it, a clear refusal', async () => {
  const [old] = await codecWith({ k1 }, 'k1').encode([plain]);
  const rotated = codecWith({ k1, k2 }, 'k2');
  const [fresh] = await rotated.encode([plain]);
  assert.equal(text(fresh!.metadata!['encryption-key-id']), 'k2');
  assert.deepEqual(
    await rotated.decode([old!, fresh!]).then((p) => p.map((x) => defaultPayloadConverter.fromPayload(x))),
    [
      { symbol: 'BTC-USDT', note: 'canary-1f2e' },
      { symbol: 'BTC-USDT', note: 'canary-1f2e' },
    ],
  );
  await assert.rejects(codecWith({ k2 }, 'k2').decode([old!]), (error: unknown) => {
    assert.ok(error instanceof PayloadCodecError);
    assert.match(error.message, /key 'k1'.*does not hold/);
    return true;
  });
});

test('an altered ciphertext, or one under another key with the same id, does not open', async () => {
  const [sealed] = await codecWith({ k1 }, 'k1').encode([plain]);
  const altered = Buffer.from(sealed!.data!);
  altered[20]! ^= 1;
  await assert.rejects(codecWith({ k1 }, 'k1').decode([{ ...sealed!, data: altered }]), /does not open/);
  await assert.rejects(codecWith({ k1: k2 }, 'k1').decode([sealed!]), /does not open/);
});

test('payloads not sealed by the codec pass through (histories written before encryption)', async () => {
  assert.deepEqual(await codecWith({ k1 }, 'k1').decode([plain]), [plain]);
});

test('keys parse as id:base64 of 32 bytes; anything else is refused naming the key, never showing it', () => {
  const parsed = CodecKeysSchema.parse(`k1:${k1.toString('base64')}, k2:${k2.toString('base64')}`);
  assert.deepEqual([...parsed.keys()], ['k1', 'k2']);
  for (const [value, message] of [
    [`k1:${randomBytes(16).toString('base64')}`, /key 'k1' is not 32 bytes/],
    [`k1:not base64!`, /key 'k1' is not 32 bytes/],
    [k1.toString('base64'), /id:base64-key/],
    [`k1:${k1.toString('base64')},k1:${k2.toString('base64')}`, /listed twice/],
  ] as const) {
    const result = CodecKeysSchema.safeParse(value);
    assert.equal(result.success, false);
    assert.match(result.error.issues[0]!.message, message);
    assert.doesNotMatch(
      result.error.issues[0]!.message,
      new RegExp(k1.toString('base64').slice(0, 12).replace(/[+/]/g, '.')),
    );
  }
});

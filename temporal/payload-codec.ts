import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import type { CodecKeys } from '../config/codec-keys';
import { temporalApi } from './proto';

/** The encoding of a payload this codec sealed; its key id rides beside it. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();
const text = new TextDecoder();

export class PayloadCodecError extends Error {
  override readonly name = 'PayloadCodecError';
}

/**
 * AES-256-GCM over each whole payload (metadata and data): the server stores ciphertext, with the key id
 * in the clear so that any holder of that key opens it. A payload not sealed by this codec passes through
 * as it is (histories written before encryption was turned on still read).
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly codecKeys: CodecKeys) {
    if (!codecKeys.keys.has(codecKeys.activeKeyId))
      throw new PayloadCodecError(`the active key '${codecKeys.activeKeyId}' is not among the keys`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.codecKeys.activeKeyId;
    const key = this.codecKeys.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporalApi.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: utf8.encode(keyId),
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || text.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
      const keyId = keyIdBytes ? text.decode(keyIdBytes) : '(none)';
      const key = this.codecKeys.keys.get(keyId);
      if (!key)
        throw new PayloadCodecError(`payload sealed with key '${keyId}', which this codec does not hold`);
      const sealed = payload.data ?? new Uint8Array();
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadCodecError('sealed payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new PayloadCodecError(
          `payload sealed with key '${keyId}' does not open: altered, or another key`,
        );
      }
      const opened = temporalApi.common.v1.Payload.decode(plain);
      return { metadata: opened.metadata ?? {}, data: opened.data ?? new Uint8Array() };
    });
  }
}

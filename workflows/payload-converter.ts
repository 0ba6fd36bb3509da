import {
  DefaultPayloadConverter,
  encodingTypes,
  METADATA_ENCODING_KEY,
  type ConverterHint,
  type Payload,
  type PayloadConverter,
  type SerializationContext,
} from '@temporalio/common';
import { undecodablePayload } from './undecodable-payload';

/** The encoding metadata as printable ASCII (it is bytes on the wire, and may be anything). */
function printableEncoding(bytes: Uint8Array | null | undefined): string {
  if (!bytes) return '(none)';
  return Array.from(bytes.subarray(0, 64), (byte) =>
    byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '?',
  ).join('');
}

/**
 * The SDK's default converter, except that a payload it cannot decode becomes an `UndecodablePayload`
 * marker instead of an error. Encoding is exactly the default's. Runs inside the workflow sandbox
 * (bundled through `payloadConverterPath`), so it is deterministic: no clock, no randomness, no I/O.
 */
class TolerantPayloadConverter implements PayloadConverter {
  readonly #default = new DefaultPayloadConverter();

  toPayload<T>(value: T, context?: SerializationContext, hint?: ConverterHint<T>): Payload {
    return this.#default.toPayload(value, context, hint);
  }

  fromPayload<T>(payload: Payload, context?: SerializationContext, hint?: ConverterHint<T>): T {
    const encoding = printableEncoding(payload.metadata?.[METADATA_ENCODING_KEY]);
    // The default reads any binary/null as undefined, and undefined means "no argument" (a global pause).
    if (encoding === encodingTypes.METADATA_ENCODING_NULL && (payload.data?.length ?? 0) > 0)
      return undecodablePayload(encoding, `${encoding} payload carries ${payload.data?.length} bytes`) as T;
    try {
      return this.#default.fromPayload(payload, context, hint);
    } catch (error) {
      return undecodablePayload(encoding, error instanceof Error ? error.message : String(error)) as T;
    }
  }
}

/** The export `payloadConverterPath` points at (workers/worker.ts). */
export const payloadConverter: PayloadConverter = new TolerantPayloadConverter();

/** A payload as the server stores it and the Web UI's codec protocol carries it: bytes in base64. */
export interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

/**
 * Every payload in a fetched history (or any proto object), in the codec protocol's JSON form; search
 * attributes aside: the server indexes them, so no codec touches them.
 */
export function payloadsIn(value: unknown, found: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(value)) for (const item of value) payloadsIn(item, found);
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('metadata' in record && 'data' in record && record.data instanceof Uint8Array) {
      const metadata = record.metadata as Record<string, Uint8Array>;
      found.push({
        metadata: Object.fromEntries(
          Object.entries(metadata).map(([key, bytes]) => [key, Buffer.from(bytes).toString('base64')]),
        ),
        data: Buffer.from(record.data).toString('base64'),
      });
    } else
      for (const [key, child] of Object.entries(record))
        if (key !== 'searchAttributes') payloadsIn(child, found);
  }
  return found;
}

/** A base64 field read back as text. */
export const base64Text = (value: string) => Buffer.from(value, 'base64').toString('latin1');

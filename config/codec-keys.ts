import { z } from 'zod';

const KeyIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a key id is 1-64 letters, digits, _ . -');

/**
 * `KEEL_CODEC_KEYS`: `id:base64,id:base64` — each key 32 random bytes in base64 (`openssl rand -base64 32`).
 * New payloads are sealed with the active key (`KEEL_CODEC_ACTIVE_KEY`, else the first listed); every key
 * listed still opens what it sealed, so a key is rotated by adding the new one and making it active.
 */
export const CodecKeysSchema = z.string().transform((value, context) => {
  const keys = new Map<string, Buffer>();
  for (const entry of value.split(',').map((part) => part.trim())) {
    const separator = entry.indexOf(':');
    const id = KeyIdSchema.safeParse(separator > 0 ? entry.slice(0, separator) : '');
    if (!id.success) {
      context.addIssue({
        code: 'custom',
        message: `each entry is id:base64-key (${id.error.issues[0]?.message})`,
      });
      return z.NEVER;
    }
    const encoded = entry.slice(separator + 1);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32 || key.toString('base64') !== encoded) {
      context.addIssue({ code: 'custom', message: `key '${id.data}' is not 32 bytes in base64` });
      return z.NEVER;
    }
    if (keys.has(id.data)) {
      context.addIssue({ code: 'custom', message: `key '${id.data}' is listed twice` });
      return z.NEVER;
    }
    keys.set(id.data, key);
  }
  return keys;
});

export interface CodecKeys {
  keys: ReadonlyMap<string, Buffer>;
  activeKeyId: string;
}

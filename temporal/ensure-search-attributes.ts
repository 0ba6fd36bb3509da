import { type Connection } from '@temporalio/client';
import { temporalApi } from './proto';
import { keelSearchAttributes } from './search-attributes';

const indexedValueType = {
  Keyword: temporalApi.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporalApi.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

/**
 * Registers Keel's search attributes on a server Keel did not start (TEMPORAL_ADDRESS). Idempotent:
 * attributes already present are left alone. The dev server gets them from its start flags instead.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.entries(keelSearchAttributes).filter(([name]) => !known.has(name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, indexedValueType[type]])),
  });
  return missing.map(([name]) => name);
}

import { readFileSync } from 'node:fs';
import { temporalApi } from '../../temporal/proto';

/** A history written by scripts/save-history.ts. */
export function loadSavedHistory(path: string) {
  return temporalApi.history.v1.History.decode(readFileSync(path));
}

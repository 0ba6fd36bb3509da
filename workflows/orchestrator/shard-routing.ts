import { fnv1a32, MAX_SHARD_COUNT } from '../../domain/ids';

/**
 * The shard that owns `symbol`: a stable hash, so every process, every run and every replay agrees without
 * storing the mapping. Changing the shard count moves symbols, so it is fixed for an orchestrator's life.
 */
export function shardForSymbol(symbol: string, shardCount: number): number {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARD_COUNT)
    throw new RangeError(`shard count must be an integer in 1..${MAX_SHARD_COUNT}, got ${shardCount}`);
  return fnv1a32(symbol) % shardCount;
}

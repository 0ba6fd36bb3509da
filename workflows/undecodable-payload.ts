import { ApplicationFailure } from '@temporalio/common';

/**
 * What Keel's payload converter (`payload-converter.ts`) hands a workflow, instead of throwing, for a
 * payload it cannot decode: an unknown `encoding` (`--input-meta encoding=application/x-fuzz`),
 * `json/plain` data that is not JSON, `binary/null` that carries data. Thrown, such a payload would fail
 * the workflow task before any handler runs, on every retry, jamming queries and updates too.
 *
 * It arrives wherever the payload would have: as a signal's, update's or query's argument (or a workflow's
 * input). Every handler must drop it like any other malformed payload: log it, count it, never store or act
 * on it. One key no Keel schema accepts, so zod validation already refuses it; `isUndecodablePayload` lets a
 * handler say why in its log.
 */
export interface UndecodablePayload {
  undecodablePayload: {
    /** The payload's `encoding` metadata, printable characters only. */
    encoding: string;
    /** Why decoding failed (at most 200 characters). */
    reason: string;
  };
}

export function undecodablePayload(encoding: string, reason: string): UndecodablePayload {
  return { undecodablePayload: { encoding, reason: reason.slice(0, 200) } };
}

/** Why a payload was dropped, for the log: the decoding failure when there was one. */
export function dropReason(value: unknown, fallback: string): string {
  return isUndecodablePayload(value)
    ? `undecodable payload (encoding ${value.undecodablePayload.encoding}): ${value.undecodablePayload.reason}`
    : fallback;
}

/** A workflow started with an input no converter could decode cannot run: it fails at once, saying so. */
export function refuseUndecodableInput(input: unknown, workflow: string): void {
  if (isUndecodablePayload(input))
    throw ApplicationFailure.nonRetryable(
      `${workflow} cannot start: ${dropReason(input, 'undecodable input')}`,
      'UndecodableInput',
    );
}

export function isUndecodablePayload(value: unknown): value is UndecodablePayload {
  if (typeof value !== 'object' || value === null || !('undecodablePayload' in value)) return false;
  const marker: unknown = value.undecodablePayload;
  return typeof marker === 'object' && marker !== null && 'encoding' in marker && 'reason' in marker;
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceError } from '@temporalio/client';
import { temporalUnavailable } from '../../../api/orchestrator';

/** What grpc-js hands the Temporal client: an Error with a numeric code, details and metadata. */
const grpcError = (code: number, details: string) =>
  Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
/** As the client throws it from a query: wrapped in a ServiceError. */
const fromQuery = (code: number, details: string) =>
  new ServiceError('Failed to query Workflow', { cause: grpcError(code, details) });

describe('temporalUnavailable: which failures of a Temporal read are Temporal being slow or away (503)', () => {
  test('a deadline cut-off, from the client (DEADLINE_EXCEEDED) or the server (CANCELLED), says how long it waited', () => {
    for (const code of [4, 1])
      assert.equal(
        temporalUnavailable(fromQuery(code, 'Deadline exceeded'), 5_000),
        'Temporal did not answer within 5 s (is a worker running? the orchestrator may be busy); try again',
      );
  });

  test('a server away or a workflow that cannot answer now passes on the server’s reason', () => {
    assert.equal(
      temporalUnavailable(
        fromQuery(9, 'Unable to query workflow due to Workflow Task in failed state.'),
        5_000,
      ),
      'Temporal cannot answer now: Unable to query workflow due to Workflow Task in failed state.',
    );
    assert.equal(
      temporalUnavailable(fromQuery(14, 'No connection established'), 5_000),
      'Temporal cannot answer now: No connection established',
    );
  });

  test('anything else is not Temporal’s state: undefined (a bug answers 500 and is logged)', () => {
    for (const error of [
      new Error('boom'),
      fromQuery(3, 'invalid argument'),
      fromQuery(5, 'not found'),
      'text',
    ])
      assert.equal(temporalUnavailable(error, 5_000), undefined);
  });
});

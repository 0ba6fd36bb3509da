import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ControlRefused } from './orchestrator';

/** Every refusal answers `{ error: <the status's own name>, message }`. */
export const refuse = (reply: FastifyReply, statusCode: number, message: string) =>
  reply.code(statusCode).send({ error: STATUS_CODES[statusCode] ?? 'Error', message });

/**
 * The error handler. Bad input is always a 4xx with a message; only our own faults are a 500, logged in
 * full and answered without detail (Temporal being slow or away is a 503 from ControlRefused).
 */
export function answerError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation
      .map((issue) => `${issue.instancePath || '(root)'}: ${issue.message ?? 'invalid'}`)
      .join('; ');
    return refuse(reply, 400, `invalid ${error.validationContext}: ${details}`);
  }
  if (error instanceof ControlRefused) return refuse(reply, error.statusCode, error.message);
  const statusCode =
    typeof error === 'object' && error && 'statusCode' in error ? Number(error.statusCode) : 500;
  if (statusCode >= 400 && statusCode < 500)
    return refuse(reply, statusCode, error instanceof Error ? error.message : 'bad request');
  request.log.error(error);
  return refuse(reply, 500, `unexpected error; see the API log (request ${request.id})`);
}

/** Errors the router raises before any route is found: a path segment over 100 characters, a malformed URL. */
export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const message =
    {
      FST_ERR_MAX_PARAM_LENGTH: 'a path segment is longer than 100 characters',
      FST_ERR_BAD_URL: 'the URL is not valid (bad percent-encoding?)',
    }[error.code] ?? error.message;
  void refuse(reply, error.statusCode ?? 400, message);
}

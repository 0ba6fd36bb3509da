import type { FastifyRequest } from 'fastify';
import type { KeelConfig } from '../config/keel-config';

/** Query parameters whose name says they carry a secret (token, key, secret, password, auth...). */
const SECRET_PARAMETER = /([?&][^=&#]*(?:token|key|secret|passw|auth)[^=&#]*=)[^&#]*/gi;
const BEARER = /(Bearer\s+)[^\s"\\,]+/gi;
const REDACTED = '[redacted]';

/** A URL as the log shows it: the values of secret-looking query parameters replaced. */
export const redactUrl = (url: string) => url.replace(SECRET_PARAMETER, `$1${REDACTED}`);

/**
 * The API's pino options (Fastify's own logger, one JSON line per entry), or false for no log. Secrets
 * never reach a line: the request serializer logs no headers and redacts secret-looking query values,
 * `redact` covers headers logged explicitly, and every line is scrubbed on its way out of any bearer
 * credential and of the configured tokens themselves (wherever they appear, e.g. inside an error message).
 */
export function apiLogger(options: {
  logLevel?: KeelConfig['KEEL_LOG_LEVEL'] | undefined;
  logStream?: { write(line: string): void } | undefined;
  secrets: Array<string | undefined>;
}) {
  if (!options.logLevel) return false;
  const secrets = options.secrets
    .filter((secret): secret is string => Boolean(secret))
    .flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]);
  const scrub = (line: string) =>
    secrets.reduce(
      (text, secret) => text.split(secret).join(REDACTED),
      line.replace(BEARER, `$1${REDACTED}`),
    );
  return {
    level: options.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'],
      censor: REDACTED,
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        remoteAddress: request.ip,
      }),
    },
    hooks: { streamWrite: scrub },
    ...(options.logStream ? { stream: options.logStream } : {}),
  };
}

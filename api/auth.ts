import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * A preHandler for mutating routes: `Authorization: Bearer <KEEL_API_TOKEN>`, compared in constant time
 * (both sides hashed to equal length first). Without a configured token every mutation is refused.
 * The token is never logged or echoed.
 */
export function bearerAuth(token: string | undefined) {
  const expected = token ? digest(token) : undefined;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!expected) {
      return reply
        .code(403)
        .send({ error: 'Forbidden', message: 'mutations are disabled: set KEEL_API_TOKEN to enable them' });
    }
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer (.+)$/.exec(header) : null;
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'Unauthorized', message: 'a valid bearer token is required' });
    }
  };
}

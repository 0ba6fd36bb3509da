import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { refuse } from './errors';
import { ErrorSchema } from './schemas';

/** Where the OpenAPI document and its UI live: public, since they describe routes and show no data. */
export const DOCS_PREFIX = '/docs';

/** Who may call a route: anyone, a holder of the read or the mutation token, or of the mutation token only. */
export type Access = 'public' | 'read' | 'mutate';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Unset means `read`: a route shows nothing without a token unless it says `public`. */
    access?: Access;
  }
}

/** KEEL_API_TOKEN mutates (and reads); KEEL_API_READ_TOKEN only reads. */
export interface ApiTokens {
  mutate?: string | undefined;
  read?: string | undefined;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

const disabled = {
  read: 'reads are disabled: set KEEL_API_READ_TOKEN (or KEEL_API_TOKEN) to enable them',
  mutate: 'mutations are disabled: set KEEL_API_TOKEN to enable them',
};

/**
 * The API's one onRequest hook: it runs before the body is read or anything is validated, so a caller
 * without a valid `Authorization: Bearer <token>` learns nothing about the route's schema. Tokens are
 * compared in constant time (both sides hashed to equal length first) and never logged or echoed. A
 * level with no configured token refuses every call with 403 naming the setting to set.
 */
export function authenticate(tokens: ApiTokens) {
  const mutate = tokens.mutate ? [digest(tokens.mutate)] : [];
  const accepted = { mutate, read: [...(tokens.read ? [digest(tokens.read)] : []), ...mutate] };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const access = request.routeOptions.config.access ?? 'read';
    if (access === 'public') return;
    const expected = accepted[access];
    if (expected.length === 0) return refuse(reply, 403, disabled[access]);
    const token = bearerToken(request.headers.authorization) ?? subprotocolToken(request.headers);
    const presented = token ? digest(token) : undefined;
    // Every accepted token is compared, so the time taken does not say which one matched.
    const valid = expected.reduce(
      (ok, token) => (presented ? timingSafeEqual(presented, token) : false) || ok,
      false,
    );
    if (!valid)
      return refuse(reply.header('www-authenticate', 'Bearer'), 401, 'a valid bearer token is required');
  };
}

const bearerToken = (authorization: string | undefined) => /^Bearer (.+)$/.exec(authorization ?? '')?.[1];

/**
 * A browser cannot set headers on a WebSocket: it offers the token as the subprotocol `bearer.<token>`
 * (beside the feed's own), as Kubernetes does. Only on an upgrade request; never logged (no headers are).
 */
function subprotocolToken(headers: FastifyRequest['headers']): string | undefined {
  if (headers.upgrade?.toLowerCase() !== 'websocket') return undefined;
  const offered = String(headers['sec-websocket-protocol'] ?? '').split(',');
  return (
    offered
      .map((protocol) => protocol.trim())
      .find((protocol) => protocol.startsWith('bearer.'))
      ?.slice(7) || undefined
  );
}

/**
 * An onRoute hook giving every route its access level and documenting it: the OpenAPI document and its
 * UI under DOCS_PREFIX are public, every other route without a level is a read; protected routes declare
 * the bearer scheme and their 401/403 answers.
 */
export function declareAccess(route: RouteOptions) {
  if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`))
    route.config = { ...route.config, access: 'public' };
  if ((route.config?.access ?? 'read') === 'public') return;
  if (!route.schema) return;
  route.schema.security ??= [{ bearer: [] }];
  route.schema.response = { 401: ErrorSchema, 403: ErrorSchema, ...(route.schema.response as object) };
}

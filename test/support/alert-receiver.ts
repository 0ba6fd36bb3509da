import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  contentType: string | undefined;
  body: unknown;
  /** The status the receiver answered with. */
  answered: number;
}

interface Failure {
  count: number;
  status: number;
  /** Only requests whose path starts with this fail. */
  path: string;
  retryAfter?: number;
}

/**
 * A local stand-in for Slack and Telegram: records every request as it arrived on the wire and answers
 * like the real endpoints, or fails the next requests when told to. Its failure answers echo the request's
 * path, secret included, so that the tests prove the activity keeps secrets out of its errors anyway.
 */
export async function startAlertReceiver() {
  const received: Received[] = [];
  let failure: Failure | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      const fails = failure !== undefined && failure.count > 0 && path.startsWith(failure.path);
      const status = fails && failure ? failure.status : 200;
      if (fails && failure) failure.count -= 1;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      received.push({
        method: request.method ?? '',
        path,
        contentType: request.headers['content-type'],
        body,
        answered: status,
      });
      const telegram = path.startsWith('/tg/');
      const answer = telegram
        ? JSON.stringify(
            status === 200
              ? { ok: true, result: { message_id: received.length } }
              : { ok: false, error_code: status, description: `Unauthorized: no bot at ${path}` },
          )
        : status === 200
          ? 'ok'
          : `invalid_token for ${path}`;
      response.writeHead(status, {
        'content-type': telegram ? 'application/json' : 'text/plain',
        ...(fails && failure?.retryAfter ? { 'retry-after': String(failure.retryAfter) } : {}),
      });
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    /** Fails the next `count` requests (of one path prefix, or any) with `status`. */
    failNext(count: number, options: { status?: number; path?: string; retryAfter?: number } = {}) {
      failure = { ...options, count, status: options.status ?? 500, path: options.path ?? '/' };
    },
    reset() {
      received.length = 0;
      failure = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

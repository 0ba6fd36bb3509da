import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PayloadCodecError } from '../../temporal/payload-codec';
import { refuse } from '../errors';
import { ErrorSchema } from '../schemas';

/** The payload codec the API serves to the Temporal Web UI, and the browser origin allowed to call it. */
export interface CodecEndpoint {
  codec: PayloadCodec;
  corsOrigin: string;
}

const Base64Schema = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

/** Payloads as the Web UI's remote codec protocol carries them: proto3 JSON, bytes in base64. */
const PayloadsSchema = z.object({
  payloads: z
    .array(
      z.object({ metadata: z.record(z.string(), Base64Schema).default({}), data: Base64Schema.default('') }),
    )
    .max(10_000),
});
type JsonPayloads = z.infer<typeof PayloadsSchema>;

const fromJson = ({ payloads }: JsonPayloads): Payload[] =>
  payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(
      Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(data, 'base64'),
  }));

const toJson = (payloads: Payload[]): JsonPayloads => ({
  payloads: payloads.map((payload) => ({
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value).toString('base64'),
      ]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  })),
});

/**
 * The codec endpoint of the Temporal Web UI (its "Remote Codec Endpoint" setting: `<API>/codec`): an
 * operator holding an API token reads histories in plaintext; the server, and anyone reading it without
 * the key, sees ciphertext. Decoding needs the read token, encoding (the UI's signals and starts) the
 * mutation token. The UI calls it from the browser: the configured origin may, with a preflight.
 */
export const codecRoutes: FastifyPluginAsyncZod<{ codec: CodecEndpoint }> = async (
  app,
  { codec: endpoint },
) => {
  const tags = ['codec'];
  const allowBrowser = (reply: FastifyReply) =>
    reply
      .header('access-control-allow-origin', endpoint.corsOrigin)
      .header('access-control-allow-credentials', 'true')
      .header('vary', 'origin');
  app.addHook('onSend', async (_request, reply) => {
    allowBrowser(reply);
  });

  for (const operation of ['decode', 'encode'] as const) {
    app.options(
      `/codec/${operation}`,
      { config: { access: 'public' }, schema: { tags, summary: `Browser preflight of /codec/${operation}` } },
      async (_request, reply) =>
        reply
          .header('access-control-allow-methods', 'POST')
          .header('access-control-allow-headers', 'content-type, authorization, x-namespace')
          .header('access-control-max-age', '600')
          .code(204)
          .send(),
    );
    app.post(
      `/codec/${operation}`,
      {
        config: { access: operation === 'decode' ? 'read' : 'mutate' },
        schema: {
          tags,
          summary:
            operation === 'decode'
              ? 'Decrypts payloads (the Web UI showing a history)'
              : 'Encrypts payloads (the Web UI sending a signal or starting a workflow)',
          body: PayloadsSchema,
          response: { 200: PayloadsSchema, 400: ErrorSchema },
        },
      },
      async (request, reply) => {
        try {
          const payloads = fromJson(request.body);
          return toJson(
            await (operation === 'decode'
              ? endpoint.codec.decode(payloads)
              : endpoint.codec.encode(payloads)),
          );
        } catch (error) {
          if (error instanceof PayloadCodecError) return refuse(reply, 400, error.message);
          throw error;
        }
      },
    );
  }
};

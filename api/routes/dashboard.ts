import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiDependencies } from '../app';
import { refuse } from '../errors';

const SOURCE = fileURLToPath(new URL('../../web/dashboard/', import.meta.url));

let bundle: Promise<string> | undefined;

/**
 * The dashboard's script, built from `web/dashboard/` with esbuild on first request and kept for the
 * process's life: built from source at run time, never a committed bundle. A failed build is tried again.
 */
function dashboardBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [`${SOURCE}main.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
  }).then(
    (result) => result.outputFiles[0]?.text ?? '',
    (error: unknown) => {
      bundle = undefined;
      throw error;
    },
  );
  return bundle;
}

const escapeAttribute = (text: string) =>
  text.replace(/[&"<>]/g, (character) => `&#${character.charCodeAt(0)};`);

/**
 * The web dashboard at `/`: public pages and script that hold no data. Everything they show comes from the
 * API with the token the operator types in.
 */
export const dashboardRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const public_ = { access: 'public' as const };
  const page = (await readFile(`${SOURCE}index.html`, 'utf8'))
    .replace('%TEMPORAL_UI%', escapeAttribute(deps.temporalUiUrl ?? ''))
    .replace('%NAMESPACE%', escapeAttribute(deps.temporal.options.namespace));
  const styles = await readFile(`${SOURCE}dashboard.css`, 'utf8');

  app.get('/', { config: public_, schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
  app.get('/dashboard/dashboard.css', { config: public_, schema: { hide: true } }, (_request, reply) =>
    reply.type('text/css; charset=utf-8').send(styles),
  );
  app.get('/dashboard/dashboard.js', { config: public_, schema: { hide: true } }, async (request, reply) => {
    const script = await dashboardBundle().catch((error: unknown) => {
      request.log.error({ err: error }, 'the dashboard could not be built');
      return undefined;
    });
    if (script === undefined) return refuse(reply, 503, 'the dashboard could not be built; see the API log');
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(script);
  });
};

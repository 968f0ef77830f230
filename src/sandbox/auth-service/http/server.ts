/** The auth-service's HTTP server (node:http, no framework): routing, the error envelope, 404 and 405. */
import { createServer, type Server } from 'node:http';
import { redact } from '../../../core/redact.js';
import { messageOf } from '../../../core/errors.js';
import type { Handler, ServiceContext } from '../context.js';
import { getMe, postLogin, postMfa } from '../handlers/auth.js';
import { getCsrf } from '../handlers/csrf.js';
import { getJwks, getOpenidConfiguration } from '../handlers/well-known.js';
import { HttpError, sendError, sendJson } from './respond.js';

const getHealth: Handler = async (_req, res, context) => {
  await context.pool.query('SELECT 1');
  sendJson(res, 200, { status: 'ok' });
};

const ROUTES: Record<string, Record<string, Handler>> = {
  '/healthz': { GET: getHealth },
  '/v1/csrf': { GET: getCsrf },
  '/v1/auth/login': { POST: postLogin },
  '/v1/auth/mfa': { POST: postMfa },
  '/v1/auth/me': { GET: getMe },
  '/.well-known/jwks.json': { GET: getJwks },
  '/.well-known/openid-configuration': { GET: getOpenidConfiguration },
};

export function createAuthServer(context: ServiceContext, logError: (line: string) => void): Server {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const methods = ROUTES[path];
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const handler = methods?.[method];
    const run = async (): Promise<void> => {
      if (!methods) throw new HttpError(404, 'not_found', `no route ${path}`);
      if (!handler) {
        res.setHeader('allow', Object.keys(methods).join(', '));
        throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
      }
      await handler(req, res, context);
    };
    run().catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendError(res, error);
        return;
      }
      logError(`error: ${req.method} ${path}: ${redact(messageOf(error))}`);
      sendError(res, new HttpError(500, 'internal_error', 'the request failed on the server'));
    });
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

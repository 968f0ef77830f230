/** Double-submit CSRF protection: a token in a cookie that the client must echo in the X-CSRF-Token header. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CSRF_COOKIE, CSRF_HEADER, type Handler } from '../context.js';
import { HttpError, parseCookies, sendJson, serializeCookie } from '../http/respond.js';

export const getCsrf: Handler = async (_req, res) => {
  const csrfToken = randomBytes(32).toString('base64url');
  // Readable by the page's script (not HttpOnly): that is how a browser client echoes it in the header.
  sendJson(res, 200, { csrfToken }, { 'set-cookie': serializeCookie(CSRF_COOKIE, csrfToken, { httpOnly: false }) });
};

export function requireCsrf(req: IncomingMessage): void {
  const cookie = parseCookies(req).get(CSRF_COOKIE);
  const header = req.headers[CSRF_HEADER];
  const headerValue = Array.isArray(header) ? header[0] : header;
  if (!cookie || !headerValue) {
    throw new HttpError(
      403,
      'csrf_failed',
      'missing CSRF token: get one from GET /v1/csrf and send it in X-CSRF-Token',
    );
  }
  const a = Buffer.from(cookie, 'utf8');
  const b = Buffer.from(headerValue, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new HttpError(403, 'csrf_failed', 'the X-CSRF-Token header does not match the CSRF cookie');
  }
}

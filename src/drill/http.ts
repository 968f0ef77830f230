/**
 * The small HTTP client the drill's checks use: real `fetch` against the drill's auth-service, a timeout per
 * request that also follows the run's abort signal, cookies carried by hand (name=value pairs from Set-Cookie),
 * and Obexal's error shape `{"error":{"code","message"}}` read into one line.
 */
import { redact } from '../core/redact.js';

export const REQUEST_TIMEOUT_MS = 15_000;

export interface HttpAnswer {
  status: number;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
  /** name → value of every Set-Cookie of the answer. */
  cookies: Map<string, string>;
  /** The body's first 300 characters, redacted (for a reason when it is not JSON). */
  text: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: unknown;
  cookies?: Map<string, string>;
  signal: AbortSignal;
  timeoutMs?: number;
}

export function cookiesOf(response: Response): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';', 1)[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return cookies;
}

export function cookieHeader(cookies: Map<string, string>): string {
  return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}

export async function request(url: string, options: RequestOptions): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.cookies && options.cookies.size > 0) headers.cookie = cookieHeader(options.cookies);
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    redirect: 'manual',
    signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS)]),
  });
  const body = await response.text();
  let json: unknown;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, cookies: cookiesOf(response), text: redact(body.slice(0, 300)) };
}

/** `401 invalid_credentials: the email or the password is not correct`, or the status and the start of the body. */
export function describeAnswer(answer: HttpAnswer): string {
  const error = (answer.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error === 'object') {
    const code = typeof error.code === 'string' ? error.code : 'error';
    const message = typeof error.message === 'string' ? `: ${error.message}` : '';
    return redact(`HTTP ${answer.status} ${code}${message}`);
  }
  return `HTTP ${answer.status}${answer.text ? `: ${answer.text.replace(/\s+/g, ' ').slice(0, 160)}` : ''}`;
}

/** Why a request did not get an answer at all, in one line. */
export function describeRequestError(error: unknown, url: string): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer from ${url} (${error.name === 'TimeoutError' ? 'timed out' : 'aborted'})`;
  return redact(
    `no answer ` +
      `from ${url}: ${cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))}`,
  );
}

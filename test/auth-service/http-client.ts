/** The calls a drill makes to the auth-service, over real HTTP with fetch. */
import assert from 'node:assert/strict';
import { totpCode } from './fixture.js';

/** The error every refused request answers with. */
export interface ErrorBody {
  code: string;
  message: string;
  attemptsLeft?: number;
}

/** A public key as the JWKS serves it (`d` must never be there). */
export interface Jwk {
  kid: string;
  kty: string;
  alg: string;
  use: string;
  n: string;
  e: string;
  d?: string;
}

/**
 * An auth-service JSON answer, with the fields the tests read. Each route fills only some of them (an error
 * answer only `error`); a test reads those its route answers with, and asserts on them.
 */
export interface Json {
  error: ErrorBody;
  csrfToken: string;
  mfaRequired: boolean;
  methods: string[];
  mfaToken: string;
  id: string;
  email: string;
  user: { id: string; email: string };
  keys: Jwk[];
  issuer: string;
  jwks_uri: string;
  authorization_endpoint: string;
  token_endpoint: string;
  id_token_signing_alg_values_supported: string[];
  [key: string]: unknown;
}

export interface Answer {
  status: number;
  body: Json;
  headers: Headers;
}

export interface CsrfPair {
  token: string;
  cookie: string;
}

async function answer(response: Response): Promise<Answer> {
  return { status: response.status, body: (await response.json()) as Json, headers: response.headers };
}

export class AuthClient {
  constructor(
    readonly baseUrl: string,
    readonly tenant: string,
  ) {}

  async csrf(): Promise<CsrfPair> {
    const response = await fetch(`${this.baseUrl}/v1/csrf`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Json;
    const setCookie = response.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^obexal_csrf=[^;]+; Path=\/; SameSite=Lax/);
    return { token: body.csrfToken, cookie: setCookie.split(';')[0]! };
  }

  async login(email: string, password: string, tenant = this.tenant): Promise<Answer> {
    return answer(
      await fetch(`${this.baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-obexal-tenant': tenant,
          'user-agent': 'auth-service-test/1.0',
        },
        body: JSON.stringify({ email, password }),
      }),
    );
  }

  async mfa(mfaToken: string, code: string, csrf: CsrfPair | undefined): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (csrf) {
      headers['x-csrf-token'] = csrf.token;
      headers.cookie = csrf.cookie;
    }
    return answer(
      await fetch(`${this.baseUrl}/v1/auth/mfa`, { method: 'POST', headers, body: JSON.stringify({ mfaToken, code }) }),
    );
  }

  /** A password login that must answer an MFA challenge; returns its token. */
  async challenge(user: { email: string; password: string }): Promise<string> {
    const first = await this.login(user.email, user.password);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.mfaRequired, true);
    return first.body.mfaToken as string;
  }
}

/** A six-digit code that is valid in none of the steps the service accepts now. */
export function wrongCode(secret: string): string {
  const valid = new Set([-2, -1, 0, 1, 2].map((offset) => totpCode(secret, offset)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

/** OIDC discovery: the JWKS (active and retired keys) and a plausible openid-configuration. */
import type { Handler } from '../context.js';
import { sendJson } from '../http/respond.js';
import { publicJwks, SIGNING_ALG } from '../signing-keys.js';

export const getJwks: Handler = async (_req, res, context) => {
  sendJson(res, 200, await publicJwks(context.pool), { 'cache-control': 'public, max-age=60' });
};

export const getOpenidConfiguration: Handler = async (_req, res, context) => {
  const issuer = context.issuer();
  sendJson(
    res,
    200,
    {
      issuer,
      authorization_endpoint: `${issuer}/oauth2/authorize`,
      token_endpoint: `${issuer}/oauth2/token`,
      userinfo_endpoint: `${issuer}/oauth2/userinfo`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      end_session_endpoint: `${issuer}/oauth2/logout`,
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'form_post'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [SIGNING_ALG],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'email', 'given_name', 'family_name', 'name', 'locale'],
      code_challenge_methods_supported: ['S256'],
    },
    { 'cache-control': 'public, max-age=300' },
  );
};

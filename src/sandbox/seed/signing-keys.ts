/** RSA-2048 OIDC signing keys as the auth-service stores them: public JWK in clear, PKCS#8 PEM encrypted. */
import { generateKeyPair, randomBytes, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import { encryptSecret } from '../../keys/secret-value.js';

const generateRsa = promisify(generateKeyPair);

export interface SigningKeyRow {
  kid: string;
  alg: 'RS256';
  publicJwk: JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' };
  privateKeyEnc: string;
}

/** kid like Obexal's: the creation date and a random suffix. */
export function newKid(createdAt: Date): string {
  return `${createdAt.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}

export async function newSigningKey(encryptionKey: Buffer, createdAt: Date): Promise<SigningKeyRow> {
  const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const kid = newKid(createdAt);
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    kid,
    alg: 'RS256',
    publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' },
    privateKeyEnc: encryptSecret(pem, encryptionKey),
  };
}

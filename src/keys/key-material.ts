import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningAlg } from '../config/config';

const generate = promisify(generateKeyPair);

export interface KeyMaterial {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicJwk: Record<string, string>;
  /** PKCS#8 DER: what gets encrypted and stored. */
  readonly privateDer: Buffer;
}

function generateFor(alg: SigningAlg): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  switch (alg) {
    case 'RS256':
      return generate('rsa', { modulusLength: 2048 });
    case 'ES256':
      return generate('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generate('ed25519');
  }
}

/** Public members only: what a JWKS may carry for a key of this type (RFC 7517/7518/8037). */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
};

export function publicJwkOf(key: KeyObject): Record<string, string> {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const members = PUBLIC_MEMBERS[jwk.kty];
  if (!members) throw new Error(`unsupported key type ${jwk.kty}`);
  return Object.fromEntries(members.map((m) => [m, jwk[m]]));
}

/** A new key pair; its kid is the RFC 7638 thumbprint of the public key. */
export async function generateKeyMaterial(alg: SigningAlg): Promise<KeyMaterial> {
  const { privateKey } = await generateFor(alg);
  const publicJwk = publicJwkOf(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk as unknown as JWK, 'sha256');
  const privateDer = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { kid, alg, publicJwk, privateDer };
}

export function importPrivateKey(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

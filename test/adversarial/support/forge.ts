import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url } from 'jose';

export type Header = Record<string, unknown>;
export type Claims = Record<string, unknown>;

const b64json = (value: unknown) => base64url.encode(JSON.stringify(value));

/** The two halves of a JWT as JSON, for cases that rewrite one of them. */
export function decodeJwt(token: string): { header: Header; claims: Claims; signature: string } {
  const [h, p, s] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), claims: JSON.parse(Buffer.from(p, 'base64url').toString()), signature: s };
}

/**
 * A JWS compact token signed exactly as told, whatever the header claims: the crafting is done
 * by hand with node:crypto so that no library refuses (or "fixes") a hostile header for us.
 */
export function signRaw(header: Header, claims: Claims, how: { hmac?: Buffer | string; rsa?: KeyObject; none?: true }): string {
  const input = `${b64json(header)}.${b64json(claims)}`;
  if (how.none) return `${input}.`;
  if (how.hmac !== undefined) return `${input}.${createHmac('sha256', how.hmac).update(input).digest('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), how.rsa!).toString('base64url')}`;
}

/** The token with one bit of its signature flipped (the first byte's lowest bit). */
export function flipSignatureBit(token: string): string {
  const [h, p, s] = token.split('.');
  const bytes = Buffer.from(s, 'base64url');
  bytes[0] ^= 0x01;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}

/** The claims rewritten, the original header and signature kept. */
export function tamperPayload(token: string, change: Claims): string {
  const [h, , s] = token.split('.');
  return `${h}.${b64json({ ...decodeJwt(token).claims, ...change })}.${s}`;
}

/** An attacker's RSA key pair, its public JWK, and a self-signed certificate for x5c (openssl). */
export interface AttackerKey {
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
  /** Base64 DER of a self-signed certificate of the key, as x5c carries it. */
  x5c: string;
}

export function attackerKey(): AttackerKey {
  const dir = mkdtempSync(join(tmpdir(), 'attacker-'));
  try {
    // A real certificate, so a verifier that trusts x5c would actually find a usable key in it.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=attacker', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
    const privateKey = createPrivateKey(readFileSync(join(dir, 'k.pem'), 'utf8'));
    const x5c = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    return { privateKey, publicJwk: createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, unknown>, x5c };
  } catch {
    // No openssl: the header still names the attacker's key, as its SPKI DER.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }) as Record<string, unknown>, x5c: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

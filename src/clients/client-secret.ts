import { constantTimeEqual, randomToken, sha256 } from '../common/crypto';

/**
 * Client secrets and API keys are 256-bit random strings, so a fast hash is enough to store
 * them (no dictionary to guess from); argon2 is for human passwords.
 */
export function hashSecret(secret: string): string {
  return sha256(secret).toString('base64url');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  return constantTimeEqual(hashSecret(secret), storedHash);
}

export function newSecret(prefix = ''): string {
  return `${prefix}${randomToken(32)}`;
}

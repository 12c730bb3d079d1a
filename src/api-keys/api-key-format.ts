import { randomToken } from '../common/crypto';

/** Secret scanners can recognise a leaked key by this prefix. */
export const API_KEY_PREFIX = 'tsk_';

// tsk_ + the key's id (16 bytes, base64url: 22 characters) + 256 random bits (43 characters):
// a verifier finds the row by the id part, never by scanning hashes.
const FORMAT = /^tsk_([A-Za-z0-9_-]{22})([A-Za-z0-9_-]{43})$/;

/** A new key for the API key `id` (a UUID); only its hash is stored. */
export function newApiKey(id: string): string {
  return `${API_KEY_PREFIX}${Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url')}${randomToken(32)}`;
}

/** The id a key names, or null when it is not of this format. */
export function parseApiKey(key: string): string | null {
  const match = FORMAT.exec(key);
  if (!match) return null;
  const hex = Buffer.from(match[1], 'base64url').toString('hex');
  if (hex.length !== 32) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

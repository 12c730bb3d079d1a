import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class KeyDecryptionError extends Error {}

/**
 * AES-256-GCM under the key-encryption key (KEK). Layout: version (1) | iv (12) | tag (16) |
 * ciphertext. The kid is the associated data, so a ciphertext moved to another row fails.
 */
export class KeyCipher {
  /** A short fingerprint of the KEK, stored beside each ciphertext so a KEK can be rotated later. */
  readonly kekId: string;

  constructor(private readonly kek: Buffer) {
    if (kek.length !== 32) throw new Error('the key-encryption key must be 32 bytes');
    this.kekId = createHash('sha256').update('tessera-kek-id').update(kek).digest('base64url').slice(0, 16);
  }

  encrypt(plaintext: Buffer, kid: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv);
    cipher.setAAD(Buffer.from(kid));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  decrypt(sealed: Buffer, kid: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new KeyDecryptionError(`signing key ${kid}: unknown ciphertext format`);
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.kek, iv);
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new KeyDecryptionError(`signing key ${kid}: the key-encryption key does not decrypt it`);
    }
  }
}

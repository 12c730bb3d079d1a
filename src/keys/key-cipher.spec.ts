import { randomBytes } from 'node:crypto';
import { KeyCipher, KeyDecryptionError } from './key-cipher';

describe(KeyCipher.name, () => {
  const sut = new KeyCipher(randomBytes(32));
  const secret = Buffer.from('-----private key material-----');

  it('round-trips and never stores the plaintext', () => {
    const sealed = sut.encrypt(secret, 'kid-1');
    expect(sealed.includes(secret)).toBe(false);
    expect(sut.decrypt(sealed, 'kid-1')).toEqual(secret);
  });

  it('uses a fresh IV each time', () => {
    expect(sut.encrypt(secret, 'kid-1')).not.toEqual(sut.encrypt(secret, 'kid-1'));
  });

  it('refuses another KEK, a tampered ciphertext, and a ciphertext moved to another kid', () => {
    const sealed = sut.encrypt(secret, 'kid-1');
    expect(() => new KeyCipher(randomBytes(32)).decrypt(sealed, 'kid-1')).toThrow(KeyDecryptionError);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => sut.decrypt(tampered, 'kid-1')).toThrow(KeyDecryptionError);
    expect(() => sut.decrypt(sealed, 'kid-2')).toThrow(KeyDecryptionError);
    expect(() => sut.decrypt(Buffer.from([9, 1, 2]), 'kid-1')).toThrow(/unknown ciphertext format/);
  });

  it('names the KEK by a fingerprint that differs between keys and reveals nothing of it', () => {
    const kek = randomBytes(32);
    const a = new KeyCipher(kek);
    expect(a.kekId).toBe(new KeyCipher(kek).kekId);
    expect(a.kekId).not.toBe(new KeyCipher(randomBytes(32)).kekId);
    expect(a.kekId).not.toContain(kek.toString('base64url').slice(0, 8));
  });

  it('wants a 32-byte key', () => {
    expect(() => new KeyCipher(randomBytes(16))).toThrow(/32 bytes/);
  });
});

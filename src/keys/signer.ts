import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { SignJWT, type JWTPayload } from 'jose';
import { KeysService } from './keys.service';

export interface SignedToken {
  readonly token: string;
  readonly kid: string;
}

export class NoSigningKeyError extends Error {}

/**
 * Signs with the current key, held as an imported KeyObject (decrypted once per key, never
 * per token). RS256 and ES256 go through @nestjs/jwt; jsonwebtoken under it has no EdDSA, so
 * EdDSA goes through jose.
 */
@Injectable()
export class Signer {
  constructor(
    private readonly keys: KeysService,
    private readonly jwt: JwtService,
  ) {}

  /** Claims must carry their own iat/exp/nbf; the header gets alg, typ and the current kid. */
  async sign(claims: JWTPayload, typ = 'at+jwt'): Promise<SignedToken> {
    const current = this.keys.ring.current;
    if (!current) throw new NoSigningKeyError('no current signing key');
    const { kid, alg, privateKey } = current;
    if (alg === 'EdDSA') {
      const token = await new SignJWT(claims).setProtectedHeader({ alg, typ, kid }).sign(privateKey);
      return { token, kid };
    }
    // Claims carry their own iat, which jsonwebtoken keeps (its noTimestamp would delete it).
    const token = this.jwt.sign(claims, { privateKey, algorithm: alg, header: { alg, typ, kid } });
    return { token, kid };
  }
}

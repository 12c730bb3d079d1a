import { Injectable } from '@nestjs/common';
import { SignJWT, type JWTPayload } from 'jose';
import { KeysService } from './keys.service';

export interface SignedToken {
  readonly token: string;
  readonly kid: string;
}

export class NoSigningKeyError extends Error {}

/**
 * Signs with the current key, held as an imported KeyObject (decrypted once per key, never
 * per token). jose signs with node:crypto's callback form, which runs the RSA or EC private-key
 * operation on libuv's thread pool: the event loop only encodes the JWS, so on two cores a
 * grant's signature no longer queues every other request behind it (issue 12 measured the
 * refresh and client_credentials grants bound by the main thread, signing the largest part).
 */
@Injectable()
export class Signer {
  constructor(private readonly keys: KeysService) {}

  /** Claims must carry their own iat/exp/nbf; the header gets alg, typ and the current kid. */
  async sign(claims: JWTPayload, typ = 'at+jwt'): Promise<SignedToken> {
    const current = this.keys.ring.current;
    if (!current) throw new NoSigningKeyError('no current signing key');
    const { kid, alg, privateKey } = current;
    const token = await new SignJWT(claims).setProtectedHeader({ alg, typ, kid }).sign(privateKey);
    return { token, kid };
  }
}

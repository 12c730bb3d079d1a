import type { VerifierOptions } from './options';
import { TesseraVerifier } from './verifier';

interface AdapterExtras {
  /** When set, GET on this path answers verifier.status() as JSON, without a token. */
  readonly statusPath?: string;
}

/** An adapter takes the verifier's options, or a verifier to share with other adapters. */
export type AdapterOptions = (VerifierOptions | { readonly verifier: TesseraVerifier }) & AdapterExtras;

export function verifierOf(options: AdapterOptions): { verifier: TesseraVerifier; owned: boolean } {
  if ('verifier' in options && options.verifier instanceof TesseraVerifier) return { verifier: options.verifier, owned: false };
  return { verifier: new TesseraVerifier(options as VerifierOptions), owned: true };
}

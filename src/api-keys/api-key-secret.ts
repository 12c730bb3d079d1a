import { secretMatches } from '../clients/client-secret';

/** What a key is checked against: its secret and, during a rotation's grace, the one it replaced. */
export interface ApiKeySecrets {
  readonly secretHash: string;
  readonly previousSecretHash: string | null;
  /** Epoch ms at which the previous secret stops working; null when there is none. */
  readonly previousSecretExpiresAt: number | null;
}

/**
 * Whether `key` is the API key's current secret, or its previous one before the grace ends.
 * Both hashes are compared whenever there are two, so how long the answer takes does not say
 * which one matched.
 */
export function apiKeySecretMatches(key: string, secrets: ApiKeySecrets, nowMs: number): boolean {
  const current = secretMatches(key, secrets.secretHash);
  if (secrets.previousSecretHash === null) return current;
  const previous = secretMatches(key, secrets.previousSecretHash);
  return current || (previous && secrets.previousSecretExpiresAt !== null && nowMs < secrets.previousSecretExpiresAt);
}

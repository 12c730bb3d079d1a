import { InvalidInputError } from '../common/domain-errors';
import type { ClientType } from './client.entity';

/** The grants POST /token implements (contract 2.1); a client may be allowed any of them. */
export const GRANT_TYPES = ['password', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** RFC 6749 §4.4: client_credentials is for clients that can authenticate, i.e. confidential ones. */
export function checkGrantTypes(type: ClientType, grantTypes: readonly string[]): void {
  if (type === 'public' && grantTypes.includes('client_credentials')) {
    throw new InvalidInputError('client_credentials needs a confidential client', 'grantTypes');
  }
}

/**
 * An address list belongs on a credential that proves who is calling. A public client proves
 * nothing (its client_id is no secret), so a list on it would suggest a control that is not there.
 */
export function checkAllowedIps(type: ClientType, allowedIps: readonly string[] | null | undefined): void {
  if (type === 'public' && allowedIps) throw new InvalidInputError('only a confidential client can be restricted by address', 'allowedIps');
}

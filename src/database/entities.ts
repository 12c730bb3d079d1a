import { ApiKey } from '../api-keys/api-key.entity';
import { AuditEvent } from '../audit/audit-event.entity';
import { Client } from '../clients/client.entity';
import { SigningKey } from '../keys/signing-key.entity';
import { RefreshTokenFamily } from '../sessions/refresh-token-family.entity';
import { RefreshToken } from '../sessions/refresh-token.entity';
import { RevokedAccessToken } from '../sessions/revoked-access-token.entity';
import { Tenant } from '../tenants/tenant.entity';
import { UserLockout } from '../users/user-lockout.entity';
import { User } from '../users/user.entity';

/** Every entity the DataSource maps; listed, not globbed, so ts-jest and dist load the same set. */
export const ENTITIES = [
  Tenant,
  User,
  UserLockout,
  Client,
  ApiKey,
  SigningKey,
  RefreshTokenFamily,
  RefreshToken,
  RevokedAccessToken,
  AuditEvent,
];

import { ApiProperty } from '@nestjs/swagger';
import { ScopeList } from '../../common/scope-list.decorator';
import { IfPresent } from '../../common/if-present.decorator';
import { AllowedIpsField } from './allowed-ips.field';
import { Audience, ClientName, GrantTypes } from './client-fields';

/**
 * What may change on a client. `type` may not (a public client has no secret to keep, a
 * confidential one would lose it): register a new client instead, so it is an unknown field.
 */
export class UpdateClientDto {
  @ClientName({ optional: true })
  name?: string;

  @GrantTypes({ optional: true })
  grantTypes?: string[];

  // ScopeList({ optional }) would accept null; a client's scopes are never null.
  @ApiProperty({ required: false })
  @IfPresent()
  @ScopeList('Replaces the scopes the client may ask for.')
  scopes?: string[];

  @Audience()
  audience?: string | null;

  @AllowedIpsField('Replaces the addresses the client may authenticate from; null: any address. Confidential clients only.')
  allowedIps?: string[] | null;
}

import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { ScopeList } from '../../common/scope-list.decorator';
import type { ClientType } from '../client.entity';
import { AllowedIpsField } from './allowed-ips.field';
import { Audience, ClientName, GrantTypes } from './client-fields';

export class CreateClientDto {
  @ClientName()
  name: string;

  @ApiProperty({ enum: ['public', 'confidential'], description: 'A confidential client gets a secret, shown once.' })
  @IsIn(['public', 'confidential'])
  type: ClientType;

  @GrantTypes()
  grantTypes: string[];

  @ScopeList('Scopes the client may ask for: within the tenant’s scopes, plus admin:tenant.')
  scopes: string[];

  @Audience()
  audience?: string | null;

  @AllowedIpsField('Addresses a confidential client may authenticate from at the OAuth endpoints; refused on a public client.')
  allowedIps?: string[] | null;
}

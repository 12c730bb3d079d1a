import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches, MaxLength } from 'class-validator';
import { ScopeList } from '../../common/scope-list.decorator';
import { MAX_PASSWORD_LENGTH } from '../password-policy';

/** No control characters and no leading or trailing space: what a person can type and see. */
export const USERNAME_FORMAT = /^(?![\s])[^\p{Cc}\p{Cf}]*(?<![\s])$/u;

export class CreateUserDto {
  @ApiProperty({ example: 'alice', description: 'Unique within the tenant (NFKC, case-insensitive).' })
  @IsString()
  @Length(1, 200)
  @Matches(USERNAME_FORMAT, { message: 'must not contain control characters or surrounding spaces' })
  username: string;

  @ApiProperty({ description: 'At least 12 characters and not on a common-password list.', writeOnly: true })
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH)
  password: string;

  @ScopeList('Scopes the user holds: within the tenant’s scopes, plus admin:tenant.')
  scopes: string[];
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { Equals, IsBoolean, IsString, MaxLength } from 'class-validator';
import { IfPresent } from '../../common/if-present.decorator';
import { ScopeList } from '../../common/scope-list.decorator';
import { MAX_PASSWORD_LENGTH } from '../password-policy';

export class UpdateUserDto {
  @ScopeList('Replaces the scopes the user holds.', { optional: true })
  scopes?: string[];

  @ApiPropertyOptional({ description: 'Disabling also revokes every session of the user.' })
  @IfPresent()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ description: 'Password reset: revokes every session of the user.', writeOnly: true })
  @IfPresent()
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH)
  password?: string;

  @ApiPropertyOptional({ enum: [true], description: 'Clears a lockout after failed logins.' })
  @IfPresent()
  @Equals(true)
  unlock?: true;
}

import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IfPresent } from '../../common/if-present.decorator';

/** A day at most: a grace period is for rolling the new key out, not for keeping two keys. */
export const MAX_ROTATION_GRACE_SECONDS = 86_400;

export class RotateApiKeyDto {
  @ApiProperty({
    required: false,
    minimum: 0,
    maximum: MAX_ROTATION_GRACE_SECONDS,
    default: 0,
    example: 3600,
    description: 'How long the old key keeps working, in seconds; 0 (the default): it stops at once.',
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(MAX_ROTATION_GRACE_SECONDS)
  graceSeconds?: number;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// RFC 9457 problem details (src/common/problem.ts), for the OpenAPI document only.

export class FieldErrorBody {
  @ApiProperty({ example: 'settings.accessTokenTtl' }) field: string;
  @ApiProperty({ example: 'must not be greater than 3600' }) message: string;
}

export class ProblemResponse {
  @ApiProperty({ example: 'about:blank', description: '`https://tessera.dev/problems/validation` when `errors` lists failing fields.' }) type: string;
  @ApiProperty({ example: 'Not Found' }) title: string;
  @ApiProperty({ example: 404 }) status: number;
  @ApiPropertyOptional() detail?: string;
  @ApiPropertyOptional({ type: [FieldErrorBody] }) errors?: FieldErrorBody[];
}

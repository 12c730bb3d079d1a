import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IfPresent } from '../../common/if-present.decorator';
import { GRANT_TYPES } from '../credential-rules';

/** A JWT `aud` value (RFC 7519 StringOrURI): no spaces or control characters. */
const AUDIENCE_FORMAT = /^[^\s\p{Cc}]+$/u;

export const ClientName = ({ optional = false } = {}) =>
  applyDecorators(
    ApiProperty({ example: 'OCR backend', required: !optional, minLength: 1, maxLength: 200 }),
    ...(optional ? [IfPresent()] : []),
    IsString(),
    Length(1, 200),
  );

export const GrantTypes = ({ optional = false } = {}) =>
  applyDecorators(
    ApiProperty({
      enum: GRANT_TYPES,
      isArray: true,
      required: !optional,
      example: ['client_credentials'],
      description: 'Non-empty, no duplicates; client_credentials only for confidential clients.',
    }),
    ...(optional ? [IfPresent()] : []),
    IsArray(),
    ArrayNotEmpty(),
    ArrayMaxSize(GRANT_TYPES.length),
    ArrayUnique(),
    IsIn(GRANT_TYPES, { each: true, message: `each value must be one of ${GRANT_TYPES.join(', ')}` }),
  );

/** null (or leaving it out on create) means the configured DEFAULT_AUDIENCE. */
export const Audience = () =>
  applyDecorators(
    ApiProperty({
      type: String,
      nullable: true,
      required: false,
      maxLength: 500,
      example: 'https://inference.example.com',
      description: 'The `aud` of the tokens this client gets; null means the configured default audience.',
    }),
    IsOptional(),
    IsString(),
    Length(1, 500),
    Matches(AUDIENCE_FORMAT, { message: 'must not contain spaces or control characters' }),
  );

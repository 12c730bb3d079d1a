import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import { IfPresent } from './if-present.decorator';

/** RFC 6749 §3.3 scope-token: printable ASCII without space, '"' or '\'. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** A list of scope strings in an admin body: at most 100, each an RFC 6749 scope-token. */
export const ScopeList = (description: string, { optional = false } = {}) =>
  applyDecorators(
    ApiProperty({ type: [String], description, required: !optional, example: ['models:list', 'chat:completions'] }),
    ...(optional ? [IfPresent()] : []),
    IsArray(),
    ArrayMaxSize(100),
    IsString({ each: true }),
    MaxLength(200, { each: true }),
    Matches(SCOPE_TOKEN, { each: true, message: 'each value must be a scope without spaces or quotes' }),
  );

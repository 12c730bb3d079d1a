import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsOptional, IsString, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';
import { MAX_ALLOWED_IPS, parseCidr } from '../allowed-ips';

const IsCidr = (options: ValidationOptions) =>
  ValidateBy({ name: 'isCidr', validator: { validate: (value: unknown) => typeof value === 'string' && parseCidr(value) !== null } }, options);

/**
 * `allowedIps` of an API key or confidential client: null (or absent on create) allows any
 * address. An empty list is refused rather than read as "no address": a credential nobody can
 * use is a revocation, which has its own route.
 */
export const AllowedIpsField = (description: string) =>
  applyDecorators(
    ApiProperty({
      type: [String],
      nullable: true,
      required: false,
      minItems: 1,
      maxItems: MAX_ALLOWED_IPS,
      example: ['10.0.0.0/8', '2001:db8::/32'],
      description: `${description} IPv4 or IPv6 CIDRs; a bare address is /32 or /128. Absent or null: any address.`,
    }),
    IsOptional(),
    IsArray(),
    ArrayNotEmpty({ message: 'must not be empty (null allows any address)' }),
    ArrayMaxSize(MAX_ALLOWED_IPS),
    ArrayUnique(),
    IsString({ each: true }),
    // The longest IPv6 text (45 characters) and a prefix.
    MaxLength(49, { each: true }),
    IsCidr({ each: true, message: 'each value must be an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32' }),
  );

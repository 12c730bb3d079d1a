import { ValidateIf } from 'class-validator';

/**
 * A field that may be left out but, when sent, must be valid: unlike IsOptional, null is
 * refused too, so it can never reach a NOT NULL column. Use IsOptional only where null means
 * something (reset to the default, no expiry).
 */
export const IfPresent = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

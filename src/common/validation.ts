import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { FieldError } from './problem';

/**
 * The one way request DTOs are checked (class-validator): unknown fields are refused, not
 * dropped, and a 400 names every failing field (nested ones as `settings.accessTokenTtl`).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new BadRequestException({ errors: fieldErrors(errors) }),
  });
}

export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message: messageOf(message, error.property) }));
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

// class-validator writes "property x should not exist" and "x must be ..."; the field is named
// separately, so the message keeps only what is wrong.
function messageOf(message: string, property: string): string {
  if (message === `property ${property} should not exist`) return 'is not a known field';
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

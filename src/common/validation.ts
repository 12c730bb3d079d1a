import { BadRequestException, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import type { FieldError } from './problem';

/**
 * The one way request DTOs are checked (class-validator): unknown fields are refused, not
 * dropped, and a 400 names every failing field (nested ones as `settings.accessTokenTtl`).
 */
export function createValidationPipe(): ValidationPipe {
  return new BodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new BadRequestException({ errors: fieldErrors(errors) }),
  });
}

/**
 * Nest's pipe reads a null value as {} (toEmptyIfNil), so a JSON `null` body passed a PATCH as
 * an empty update (200, written and audited) where every other non-object body is a 400. Found
 * by the fuzzing in test/adversarial. A request without a body is still {}: some bodies are optional.
 */
class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value === null) {
      throw new BadRequestException({ errors: [{ field: 'body', message: 'must be a JSON object' }] });
    }
    return super.transform(value, metadata);
  }
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

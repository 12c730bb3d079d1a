/**
 * Errors services throw for domain outcomes. They know nothing of HTTP; the exception filter
 * maps them (not found → 404, conflict → 409, invalid → 400, forbidden → 403).
 */
export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {}
export class ConflictError extends DomainError {}
/** Bad input a DTO cannot see (a weak password, a scope the tenant lacks); `field` names it. */
export class InvalidInputError extends DomainError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The caller may reach the resource but not do this to it (a platform-only change). */
export class ForbiddenError extends DomainError {}

/**
 * Errors services throw for domain outcomes. They know nothing of HTTP; the exception filter
 * maps them (not found → 404, conflict → 409, invalid → 400).
 */
export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {}
export class ConflictError extends DomainError {}
export class InvalidInputError extends DomainError {}

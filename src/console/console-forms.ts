import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ConflictError, InvalidInputError } from '../common/domain-errors';
import { fieldErrors } from '../common/validation';
import type { ConsoleCaller } from './console-auth.service';

export type Form = Record<string, unknown>;

/** A form field as a string ('' when absent or repeated). */
export function field(form: Form, name: string): string {
  const v = form[name];
  return typeof v === 'string' ? v : '';
}

/** A repeated form field (checkboxes) as a list. */
export function fields(form: Form, name: string): string[] {
  const v = form[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

/** Checks a form against the admin API's own DTO, with the same rules (class-validator). */
export async function toDto<T extends object>(cls: new () => T, plain: Record<string, unknown>): Promise<T> {
  const dto = plainToInstance(cls, plain);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length) {
    const first = fieldErrors(errors)[0];
    throw new InvalidInputError(`${first.field}: ${first.message}`);
  }
  return dto;
}

/**
 * Runs a write for a form; what the user got wrong (invalid input, a conflict) becomes the next
 * page's message instead of an error page. Anything else (404, 403) propagates.
 */
export async function attempt(caller: ConsoleCaller, work: () => Promise<string | void>): Promise<void> {
  try {
    const done = await work();
    if (done && !caller.session.flash) caller.session.flash = { kind: 'success', text: done };
  } catch (err) {
    if (err instanceof InvalidInputError) {
      caller.session.flash = { kind: 'error', text: err.field ? `${err.field}: ${err.message}` : err.message };
    } else if (err instanceof ConflictError) {
      caller.session.flash = { kind: 'error', text: err.message };
    } else {
      throw err;
    }
  }
}

/** A date field (yyyy-mm-dd) as the end of that day in UTC, or null when empty. */
export function endOfDay(date: string): string | null {
  if (!date) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new InvalidInputError('must be a date (yyyy-mm-dd)', 'expires');
  return `${date}T23:59:59Z`;
}

/** A console path to go back to after a write, never another site. */
export function backTo(value: string, fallback: string): string {
  return /^\/console(\/|$|\?)/.test(value) && !value.includes('//') && !value.includes('\\') ? value : fallback;
}

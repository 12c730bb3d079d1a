const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
// SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P (operator
// intervention: shutdown, terminated), and 57014 (statement timeout).
const SQLSTATE = /^(08|53|57P)/;

/** True when an error means "the database cannot be reached right now", not a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current && depth < 4; depth++) {
    const e = current as { code?: string; message?: string; driverError?: unknown; cause?: unknown };
    if (e.code && (CONNECTION_CODES.has(e.code) || SQLSTATE.test(e.code) || e.code === '57014')) return true;
    if (
      typeof e.message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Connection is not established/i.test(
        e.message,
      )
    ) {
      return true;
    }
    current = e.driverError ?? e.cause;
  }
  return false;
}

/** A unique index refused the row (SQLSTATE 23505): the name, slug or id is taken. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.code === '23505' || e?.driverError?.code === '23505';
}

/**
 * Postgres refused a string it cannot store (SQLSTATE 22021: a NUL byte in text; 22P05): the
 * request carried it, so it is the client's error, on whatever route it reached the database.
 */
export function isUnstorableText(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e?.code ?? e?.driverError?.code;
  return code === '22021' || code === '22P05';
}

import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import type { ConsoleCaller } from './console-auth.service';
import { attempt, backTo, endOfDay, field, fields } from './console-forms';

describe('console-forms', () => {
  it('reads single and repeated fields', () => {
    const form = { a: 'x', b: ['1', '2'], c: ['only'] };
    expect([field(form, 'a'), field(form, 'b'), field(form, 'z')]).toEqual(['x', '', '']);
    expect([fields(form, 'a'), fields(form, 'b'), fields(form, 'z')]).toEqual([['x'], ['1', '2'], []]);
  });

  it('turns a date into the end of that day in UTC', () => {
    expect(endOfDay('2030-01-31')).toBe('2030-01-31T23:59:59Z');
    expect(endOfDay('')).toBeNull();
    expect(() => endOfDay('31/01/2030')).toThrow(InvalidInputError);
  });

  it('goes back only to a console path', () => {
    expect(backTo('/console/audit?action=x', '/console')).toBe('/console/audit?action=x');
    for (const evil of ['https://evil.example/console', '//evil.example', '/console/..//evil', '/consolex', '/console\\evil']) {
      expect(backTo(evil, '/console')).toBe('/console');
    }
  });

  it('keeps what the user got wrong for the next page and lets anything else through', async () => {
    const caller = { session: {} } as ConsoleCaller;
    await attempt(caller, async () => {
      throw new InvalidInputError('is too common', 'password');
    });
    expect(caller.session.flash).toEqual({ kind: 'error', text: 'password: is too common' });
    await attempt(caller, async () => {
      throw new ConflictError('taken');
    });
    expect(caller.session.flash).toEqual({ kind: 'error', text: 'taken' });
    caller.session.flash = undefined;
    await attempt(caller, async () => 'done');
    expect(caller.session.flash).toEqual({ kind: 'success', text: 'done' });
    await expect(attempt(caller, async () => Promise.reject(new NotFoundError('x')))).rejects.toThrow(NotFoundError);
  });
});

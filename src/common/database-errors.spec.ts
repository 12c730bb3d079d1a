import { isDatabaseUnavailable } from './database-errors';

describe(isDatabaseUnavailable.name, () => {
  it.each([
    [{ code: 'ECONNREFUSED' }],
    [{ code: '57P01' }],
    [{ code: '08006' }],
    [new Error('Connection terminated unexpectedly')],
    [{ message: 'query failed', driverError: { code: 'ECONNRESET' } }],
  ])('recognises %p as an outage', (err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([[{ code: '23505' }], [new Error('syntax error at or near')], [null]])('does not take %p for one', (err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

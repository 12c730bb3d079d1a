import { isDateTime } from './audit-event-query.dto';

describe(isDateTime.name, () => {
  it.each(['2025-01-31T12:00:00Z', '2025-01-31t12:00:00z', '2025-01-31 12:00:00+01:00', '2024-02-29T23:59:59.123456-05:30'])('accepts %s', (value) => {
    expect(isDateTime(value)).toBe(true);
  });

  it.each([
    ['no offset', '2025-01-31T12:00:00'],
    ['a date alone', '2025-01-31'],
    ['February 30', '2025-02-30T00:00:00Z'],
    ['February 29 of a common year', '2025-02-29T00:00:00Z'],
    ['hour 24', '2025-01-31T24:00:00Z'],
    ['more than microseconds', '2025-01-31T12:00:00.1234567Z'],
    ['a bad offset', '2025-01-31T12:00:00+25:00'],
    ['words', 'yesterday'],
    ['a number', 1738324800],
  ])('refuses %s', (_why, value) => {
    expect(isDateTime(value)).toBe(false);
  });
});

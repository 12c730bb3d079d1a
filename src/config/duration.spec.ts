import { parseDurationSeconds, parseRate } from './duration';

describe(parseDurationSeconds.name, () => {
  it.each([
    ['900', 900],
    ['90s', 90],
    ['15m', 900],
    ['12h', 43200],
    ['30d', 2592000],
  ])('reads %s as %d seconds', (raw, seconds) => {
    expect(parseDurationSeconds(raw)).toBe(seconds);
  });

  it.each(['', '15 minutes', '-5m', '1.5h', '10w', 'm'])('refuses %p', (raw) => {
    expect(parseDurationSeconds(raw)).toBeNull();
  });
});

describe(parseRate.name, () => {
  it('reads count/window', () => {
    expect(parseRate('300/60s')).toEqual({ limit: 300, windowSeconds: 60 });
    expect(parseRate('10/15m')).toEqual({ limit: 10, windowSeconds: 900 });
  });

  it.each(['300', '300/', '/60s', 'x/60s', '0/60s', '10/0s', '1/2/3'])('refuses %p', (raw) => {
    expect(parseRate(raw)).toBeNull();
  });
});

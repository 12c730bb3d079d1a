import { matchesEtag } from './jwks.route';

describe(matchesEtag.name, () => {
  const etag = '"abc"';

  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abcd"', false],
    ['abc', false],
    ['', false],
  ])('If-None-Match %p matches: %p', (header, expected) => {
    expect(matchesEtag(header, etag)).toBe(expected);
  });
});

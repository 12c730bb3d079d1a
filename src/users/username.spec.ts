import { usernameKey } from './username';

describe(usernameKey.name, () => {
  it('folds case and compatibility forms to one key', () => {
    expect(usernameKey('Alice')).toBe(usernameKey('alice'));
    // Fullwidth letters and the "ﬁ" ligature are NFKC-equivalent to their plain forms.
    expect(usernameKey('ＡＬＩＣＥ')).toBe('alice');
    expect(usernameKey('ﬁona')).toBe('fiona');
  });

  it('keeps different names apart', () => {
    expect(usernameKey('alice')).not.toBe(usernameKey('alice2'));
  });
});

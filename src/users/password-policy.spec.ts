import { passwordProblem } from './password-policy';

describe(passwordProblem.name, () => {
  it('accepts a long, uncommon password', () => {
    expect(passwordProblem('violet-harbour-71-quietly')).toBeNull();
  });

  it.each([
    ['short1', 'must have at least 12 characters'],
    ['password1234', 'is too common'],
    ['123456789012', 'is too common'],
    ['QWERTYUIOPAS'.toLowerCase(), null],
  ])('judges %p', (password, problem) => {
    expect(passwordProblem(password)).toBe(problem);
  });

  it('refuses the username as password, and anything over 1024 characters', () => {
    expect(passwordProblem('alice-the-admin', 'Alice-The-Admin')).toBe('must differ from the username');
    expect(passwordProblem('x'.repeat(1025))).toBe('must have at most 1024 characters');
  });
});

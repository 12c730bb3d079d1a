// Mozilla's list of common passwords (Firefox Accounts), shipped as an npm package: no network.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const commonPasswords: { test(password: string): boolean } = require('fxa-common-password-list');

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * Contract 5.1: at least 12 characters and not on a common-password list (NIST SP 800-63B
 * §5.1.1.2: length and a blocklist, no composition rules). Returns why not, or null.
 */
export function passwordProblem(password: string, username?: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must have at most ${MAX_PASSWORD_LENGTH} characters`;
  const lowered = password.toLowerCase();
  if (commonPasswords.test(password) || commonPasswords.test(lowered)) return 'is too common';
  if (username && lowered === username.normalize('NFKC').toLowerCase()) return 'must differ from the username';
  return null;
}

/** The key usernames are unique by within a tenant: NFKC-normalised and case-folded. */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase().normalize('NFKC');
}

import { randomUUID } from 'node:crypto';
import { newApiKey, parseApiKey } from './api-key-format';

describe('API key format', () => {
  it('carries its id, so a verifier looks it up without scanning', () => {
    const id = randomUUID();
    const key = newApiKey(id);
    expect(key).toMatch(/^tsk_[A-Za-z0-9_-]{65}$/);
    expect(parseApiKey(key)).toBe(id);
    expect(newApiKey(id)).not.toBe(key);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'tsk_', `tsk_${'a'.repeat(43)}`, `tsk_${'a'.repeat(66)}`, `tsk_${'a'.repeat(21)}!${'b'.repeat(43)}`, `xyz_${'a'.repeat(65)}`]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });
});

import { OAuthError } from '../common/oauth-error';
import { grantScope, parseScope, tenantScopes } from './scopes';

describe(grantScope.name, () => {
  const user = ['models:list', 'chat:completions', 'embeddings'];
  const client = ['models:list', 'chat:completions', 'ocr:infer'];

  it('grants everything allowed when nothing is requested', () => {
    expect(grantScope(null, user, client)).toEqual(['models:list', 'chat:completions']);
  });

  it('grants the requested scope when all of it is allowed', () => {
    expect(grantScope(['chat:completions'], user, client)).toEqual(['chat:completions']);
  });

  it('refuses a request for anything outside every allowance', () => {
    expect(() => grantScope(['embeddings'], user, client)).toThrow(OAuthError);
    expect(() => grantScope(['ocr:infer'], user, client)).toThrow(expect.objectContaining({ code: 'invalid_scope' }));
  });
});

describe(parseScope.name, () => {
  it('splits on spaces and drops duplicates', () => {
    expect(parseScope('a b  a')).toEqual(['a', 'b']);
    expect(parseScope(undefined)).toBeNull();
  });

  it.each(['', ' ', 'a"b', 'a\\b', 'caf\u00e9'])('refuses the malformed %p', (raw) => {
    expect(() => parseScope(raw)).toThrow(expect.objectContaining({ code: 'invalid_scope' }));
  });
});

describe(tenantScopes.name, () => {
  it('adds admin:tenant and revocations:read everywhere, and admin:platform only in the system tenant', () => {
    expect(tenantScopes({ slug: 'acme', scopes: ['x'] })).toEqual(['x', 'admin:tenant', 'revocations:read']);
    expect(tenantScopes({ slug: 'system', scopes: ['x'] })).toEqual(['x', 'admin:tenant', 'admin:platform', 'revocations:read']);
  });
});

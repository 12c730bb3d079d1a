import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_IN_RULES, loadRoutePolicy, normalizePath, RouteMatcher, RoutePolicyError, validatePolicy } from './route-policy';

describe(RouteMatcher.name, () => {
  const sut = new RouteMatcher({ rules: BUILT_IN_RULES, audience: null });
  const scopesOf = (method: string, path: string) => sut.match(method, path)?.rule.scopes ?? null;

  it('maps the OpenAI-compatible routes of contract 5.1', () => {
    expect(scopesOf('GET', '/v1/models')).toEqual(['models:list']);
    expect(scopesOf('GET', '/v1/models/Qwen/Qwen3-VL-4B')).toEqual(['models:read']);
    expect(scopesOf('HEAD', '/v1/models')).toEqual(['models:list']);
    expect(scopesOf('POST', '/v1/chat/completions?stream=true')).toEqual(['chat:completions']);
    expect(scopesOf('POST', '/v1/completions')).toEqual(['completions']);
    expect(scopesOf('POST', '/v1/embeddings')).toEqual(['embeddings']);
    expect(scopesOf('POST', '/v1/audio/transcriptions')).toEqual(['audio']);
    expect(scopesOf('POST', '/v1/images/generations')).toEqual(['images']);
    expect(scopesOf('POST', '/ocr/extract')).toEqual(['ocr:infer']);
  });

  it('refuses what no rule names: another method, a longer path, the bare prefix of a wildcard', () => {
    expect(scopesOf('POST', '/v1/models')).toBeNull();
    expect(scopesOf('GET', '/v1/chat/completions')).toBeNull();
    expect(scopesOf('POST', '/v1/chat/completions/extra')).toBeNull();
    expect(scopesOf('POST', '/ocr')).toBeNull();
    expect(scopesOf('GET', '/admin')).toBeNull();
  });

  it('judges the path the server will route: decoded, slashes collapsed', () => {
    expect(scopesOf('POST', '/v1/chat%2Dcompletions')).toBeNull();
    expect(scopesOf('POST', '/v1/%63hat/completions')).toEqual(['chat:completions']);
    expect(scopesOf('GET', '//v1//models/')).toEqual(['models:list']);
  });

  it('refuses paths servers read differently: dot segments, encoded slash, backslash, NUL, bad escapes', () => {
    for (const path of ['/v1/models/../chat/completions', '/v1/./models', '/v1%2fmodels', '/v1\\models', '/v1/models%00', '/v1/%zz', 'v1/models', '/v1/mo\u0000dels']) {
      expect(normalizePath(path)).toBeNull();
      expect(sut.match('GET', path)).toBeNull();
    }
  });

  it('names the model of a route whose rule has a model parameter (contract 2.7)', () => {
    expect(sut.match('GET', '/v1/models/Qwen/Qwen3-VL-4B-Instruct')?.model).toBe('Qwen/Qwen3-VL-4B-Instruct');
    expect(sut.match('GET', '/v1/models')?.model).toBeNull();
    const own = new RouteMatcher(
      validatePolicy({
        routes: [
          { method: 'POST', path: '/serve/{model}/predict', scope: 'predict' },
          { method: 'POST', path: '/m/{name}/*', scope: 'predict', model: '{name}' },
        ],
      }),
    );
    expect(own.match('POST', '/serve/qwen3/predict')?.model).toBe('qwen3');
    expect(own.match('POST', '/m/llama/x/y')?.model).toBe('llama');
  });

  it('captures {param} segments and takes the first matching rule', () => {
    const matcher = new RouteMatcher(
      validatePolicy({
        routes: [
          { method: 'get', path: '/v1/models/{model}', scope: 'models:read' },
          { method: '*', path: '/v1/*', scopes: [] },
        ],
      }),
    );
    expect(matcher.match('GET', '/v1/models/qwen')).toEqual({ rule: expect.objectContaining({ scopes: ['models:read'] }), params: { model: 'qwen' }, model: 'qwen' });
    expect(matcher.match('GET', '/v1/models/a/b')?.rule.scopes).toEqual([]);
    expect(matcher.match('DELETE', '/v1/files/1')?.params).toEqual({ '*': 'files/1' });
  });
});

describe(validatePolicy.name, () => {
  const bad = (doc: unknown) => {
    try {
      validatePolicy(doc);
    } catch (err) {
      expect(err).toBeInstanceOf(RoutePolicyError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it('names the bad entry', () => {
    expect(bad({ routes: [{ method: 'GET', path: '/ok', scopes: [] }, { method: 'GET', path: 'v1', scopes: [] }] })).toBe('routes[1].path: must be a path starting with /');
    expect(bad({ routes: [{ method: 'GET', path: '/a/*/b', scopes: [] }] })).toMatch(/^routes\[0\]\.path: segment "\*"/);
    expect(bad({ routes: [{ method: 'GET', path: '/a', scopes: ['has space'] }] })).toMatch(/^routes\[0\]\.scopes:/);
    expect(bad({ routes: [{ method: 'GET', path: '/a', scope: 'x', scopes: ['y'] }] })).toMatch(/not both/);
    expect(bad({ routes: [{ method: 'G E T', path: '/a', scopes: [] }] })).toMatch(/^routes\[0\]\.method/);
    expect(bad({ routes: [{ method: 'GET', path: '/a', scopes: [], extra: 1 }] })).toBe('routes[0]: unknown field "extra"');
    expect(bad({ routes: [] })).toMatch(/^routes:/);
    expect(bad({ routes: [{ method: 'GET', path: '/a/{m}', scopes: [], model: 'x' }] })).toMatch(/^routes\[0\]\.model:/);
    expect(bad([])).toMatch(/object/);
  });
});

describe(loadRoutePolicy.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));

  it('reads YAML and JSON files, and the built-in policy without one', () => {
    writeFileSync(join(dir, 'p.yaml'), 'audience: https://models.internal\nroutes:\n  - method: POST\n    path: /predict\n    scope: predict\n');
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ routes: [{ method: 'GET', path: '/x', scopes: ['a', 'b'] }] }));
    expect(loadRoutePolicy(join(dir, 'p.yaml'))).toEqual({ audience: 'https://models.internal', rules: [{ method: 'POST', path: '/predict', scopes: ['predict'] }] });
    expect(loadRoutePolicy(join(dir, 'p.json')).rules).toEqual([{ method: 'GET', path: '/x', scopes: ['a', 'b'] }]);
    expect(loadRoutePolicy(null).rules).toBe(BUILT_IN_RULES);
  });

  it('says what is wrong with an unreadable or unparsable file', () => {
    writeFileSync(join(dir, 'broken.yaml'), 'routes: [\n');
    expect(() => loadRoutePolicy(join(dir, 'missing.yaml'))).toThrow(/cannot read .*missing\.yaml: ENOENT/);
    expect(() => loadRoutePolicy(join(dir, 'broken.yaml'))).toThrow(/is not valid YAML/);
  });
});

import type { OpenAPIObject } from '@nestjs/swagger';
import { complete } from './openapi';

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemResponse' } } };
const OAUTH = { 'application/json': { schema: { $ref: '#/components/schemas/OAuthErrorResponse' } } };

function documentWith(paths: OpenAPIObject['paths']): OpenAPIObject {
  return { openapi: '3.0.0', info: { title: 't', version: '1' }, paths };
}

describe(complete.name, () => {
  it('adds the raw JWKS route', () => {
    const doc = complete(documentWith({}));
    expect(doc.paths['/.well-known/jwks.json'].get?.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/JsonWebKeySet' } } },
    });
    expect(doc.paths['/.well-known/jwks.json'].get?.responses['400']).toBeUndefined();
  });

  it('makes every error problem+json, except the RFC 6749 bodies of the OAuth endpoints', () => {
    const doc = complete(
      documentWith({
        '/admin/x': { get: { responses: { '200': { description: 'ok' }, '404': { description: 'gone' } } } },
        '/revoke': { post: { responses: { '400': { description: 'oauth', content: OAUTH } } } },
      }),
    );
    expect(doc.paths['/admin/x'].get?.responses['404']).toEqual({ description: 'gone', content: PROBLEM });
    expect(doc.paths['/admin/x'].get?.responses['200']).toEqual({ description: 'ok' });
    expect(doc.paths['/revoke'].post?.responses['400']).toEqual({ description: 'oauth', content: OAUTH });
  });

  it('describes the plain POST /token with its form and JSON bodies and the RFC 6749 errors', () => {
    const post = complete(documentWith({})).paths['/token'].post!;
    expect(Object.keys(post.requestBody && 'content' in post.requestBody ? post.requestBody.content : {})).toEqual(['application/x-www-form-urlencoded', 'application/json']);
    expect(post.responses['200']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/OAuthTokenResponse' } } } });
    for (const status of ['400', '401', '429', '503']) expect(post.responses[status]).toMatchObject({ content: OAUTH });
  });

  it('adds the validation 400 to operations that take a body or a query, not path parameters alone', () => {
    const doc = complete(
      documentWith({
        '/a': { post: { requestBody: { content: {} }, responses: {} } },
        '/b': { get: { parameters: [{ in: 'query', name: 'limit' }], responses: {} } },
        '/c/{id}': { get: { parameters: [{ in: 'path', name: 'id', required: true }], responses: {} } },
      }),
    );
    expect(doc.paths['/a'].post?.responses['400']).toMatchObject({ content: PROBLEM });
    expect(doc.paths['/b'].get?.responses['400']).toMatchObject({ content: PROBLEM });
    expect(doc.paths['/c/{id}'].get?.responses['400']).toBeUndefined();
  });
});

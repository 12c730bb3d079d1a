import type { FastifyRequest } from 'fastify';
import { cookieNames, readCookie, sameOrigin, tokensMatch } from './console-http';

const request = (headers: Record<string, string>, protocol = 'http') => ({ headers, protocol }) as unknown as FastifyRequest;

describe('console-http', () => {
  it('uses __Host- and Secure only for an https issuer', () => {
    expect(cookieNames('https://auth.example')).toEqual({ session: '__Host-tessera-console', login: '__Host-tessera-console-login', secure: true });
    expect(cookieNames('http://localhost:3000')).toEqual({ session: 'tessera-console', login: 'tessera-console-login', secure: false });
  });

  it('reads one cookie by its exact name', () => {
    const sut = request({ cookie: 'a=1; tessera-console-login=x; tessera-console=abc' });
    expect(readCookie(sut, 'tessera-console')).toBe('abc');
    expect(readCookie(sut, 'tessera')).toBeUndefined();
    expect(readCookie(request({}), 'a')).toBeUndefined();
  });

  it('accepts the Origin of the host as reached or of the issuer, and nothing else', () => {
    const issuer = 'https://auth.example';
    expect(sameOrigin(request({ host: 'localhost:3000', origin: 'http://localhost:3000' }), issuer)).toBe(true);
    expect(sameOrigin(request({ host: 'internal:3000', origin: 'https://auth.example' }), issuer)).toBe(true);
    expect(sameOrigin(request({ host: 'localhost:3000', origin: 'https://localhost:3000' }), issuer)).toBe(false);
    expect(sameOrigin(request({ host: 'localhost:3000', origin: 'null' }), issuer)).toBe(false);
    expect(sameOrigin(request({ host: 'localhost:3000', origin: 'https://evil.example' }), issuer)).toBe(false);
  });

  it('without an Origin, believes a browser that says the request is cross-site', () => {
    expect(sameOrigin(request({ host: 'h', 'sec-fetch-site': 'cross-site' }), 'https://a')).toBe(false);
    expect(sameOrigin(request({ host: 'h', 'sec-fetch-site': 'same-origin' }), 'https://a')).toBe(true);
    expect(sameOrigin(request({ host: 'h' }), 'https://a')).toBe(true);
  });

  it('compares CSRF tokens only when one was given as a string', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abd', 'abc')).toBe(false);
    expect(tokensMatch('', '')).toBe(false);
    expect(tokensMatch(['abc'], 'abc')).toBe(false);
    expect(tokensMatch(undefined, 'abc')).toBe(false);
  });
});

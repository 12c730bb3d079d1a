import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';

export const FEED_CREDENTIALS = { clientId: 'feed-key', clientSecret: 'feed secret:1' };

interface Key {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  jwk: JWK;
}

type Entry = { jti?: { jti: string; exp: number }; nbf?: { tenant_id: string; sub: string | null; nbf: number } };

/**
 * Just enough of Tessera for the package's unit tests: a JWKS with Cache-Control and ETag, and
 * a revocation feed whose cursor is the number of entries seen, both counting their requests.
 */
export class FakeTessera {
  readonly keys: Key[] = [];
  readonly entries: Entry[] = [];
  readonly revokedKids: string[] = [];
  jwksHits = 0;
  /** Answers that were 304 Not Modified, per route. */
  readonly notModified = { jwks: 0, feed: 0 };
  feedHits = 0;
  feedSince: (string | null)[] = [];
  jwksMaxAge = 300;
  /** While set, every route answers 503. */
  down = false;
  private constructor(
    private readonly server: Server,
    readonly base: string,
  ) {}

  static async start(): Promise<FakeTessera> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeTessera(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => fake.handle(req.url ?? '/', req.headers, res));
    await fake.addKey();
    return fake;
  }

  /** Back to one published key and an empty feed, counters at zero. */
  reset(): void {
    this.keys.splice(1);
    this.entries.length = 0;
    this.revokedKids.length = 0;
    this.feedSince.length = 0;
    this.jwksHits = this.feedHits = this.notModified.jwks = this.notModified.feed = 0;
    this.jwksMaxAge = 300;
    this.down = false;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  async addKey(alg = 'RS256', publish = true): Promise<Key> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
    const key = { kid: randomUUID(), alg, privateKey, jwk: { ...(await exportJWK(publicKey)), use: 'sig', alg } };
    key.jwk.kid = key.kid;
    if (publish) this.keys.push(key);
    return key;
  }

  /** A token as Tessera would sign it (contract 2.2), with overrides. */
  sign(claims: Record<string, unknown> = {}, opts: { key?: Key; header?: Record<string, unknown> } = {}): Promise<string> {
    const key = opts.key ?? this.keys[0];
    const now = Math.floor(Date.now() / 1000);
    const body = { iss: this.base, sub: 'user-1', aud: this.base, iat: now, nbf: now, exp: now + 900, jti: randomUUID(), client_id: 'cli', scope: 'models:list chat:completions', tenant_id: TENANT, tenant: 'acme', ...claims };
    return new SignJWT(body).setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...opts.header }).sign(key.privateKey);
  }

  revokeJti(jti: string, exp: number): void {
    this.entries.push({ jti: { jti, exp } });
  }

  notBefore(tenant_id: string, sub: string | null, nbf: number): void {
    this.entries.push({ nbf: { tenant_id, sub, nbf } });
  }

  private handle(url: string, headers: Record<string, string | string[] | undefined>, res: import('node:http').ServerResponse): void {
    const { pathname, searchParams } = new URL(url, this.base);
    if (this.down) return void res.writeHead(503).end();
    if (pathname === '/.well-known/jwks.json') {
      this.jwksHits++;
      const body = JSON.stringify({ keys: this.keys.map((k) => k.jwk) });
      return this.answer(res, body, headers['if-none-match'], `public, max-age=${this.jwksMaxAge}`);
    }
    if (pathname === '/revocations') {
      this.feedHits++;
      const expected = `Basic ${Buffer.from(`${FEED_CREDENTIALS.clientId}:${encodeURIComponent(FEED_CREDENTIALS.clientSecret)}`).toString('base64')}`;
      if (headers.authorization !== expected) return void res.writeHead(401).end();
      const since = searchParams.get('since');
      this.feedSince.push(since);
      if (since !== null && !/^\d+$/.test(since)) return void res.writeHead(400).end();
      const fresh = this.entries.slice(Number(since ?? 0));
      const feed = {
        cursor: String(this.entries.length),
        jtis: fresh.flatMap((e) => (e.jti ? [e.jti] : [])),
        not_before: fresh.flatMap((e) => (e.nbf ? [e.nbf] : [])),
        revoked_kids: [...this.revokedKids],
      };
      return this.answer(res, JSON.stringify(feed), headers['if-none-match'], 'no-cache');
    }
    res.writeHead(404).end();
  }

  private answer(res: import('node:http').ServerResponse, body: string, ifNoneMatch: unknown, cacheControl: string): void {
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
    if (ifNoneMatch === etag) {
      this.notModified[cacheControl === 'no-cache' ? 'feed' : 'jwks']++;
      return void res.writeHead(304, { etag, 'cache-control': cacheControl }).end();
    }
    res.writeHead(200, { etag, 'cache-control': cacheControl, 'content-type': 'application/json' }).end(body);
  }
}

export const TENANT = '6f1c2a44-8f0e-4c57-9a53-0b5d2c1e7a10';

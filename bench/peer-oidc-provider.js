'use strict';
// The peer of the token-endpoint benchmark (issue #12): oidc-provider 9, as its README sets it
// up, issuing RS256 JWT access tokens by client_credentials for one confidential client with a
// resource indicator. The in-memory adapter (its default): no database on its path, so the
// comparison flatters the peer, never Tessera. The bench starts this under `taskset -c <core>`.
//   node bench/peer-oidc-provider.js <port> <client_id> <client_secret> <resource>
// Sends the parent { ready, issuer } once listening; exits when the parent goes.
const { generateKeyPairSync } = require('node:crypto');

const [port, clientId, clientSecret, resource] = process.argv.slice(2);
const SCOPE = 'models:list';

// Its development notices (console.info/warn at import and construction) are not the peer's
// work. One says Node 20 is unsupported (oidc-provider 9 asks for Node 22 LTS or later); it runs
// on the service's Node, and the bench checks at startup that it issues RS256 at+jwt tokens.
// Errors stay visible.
console.info = () => undefined;
console.warn = () => undefined;

async function main() {
  // oidc-provider is ESM only.
  const { default: Provider } = await import('oidc-provider');
  // A fresh RSA 2048 key each start, as Tessera makes its own at first start.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-rs256', alg: 'RS256', use: 'sig' };
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: SCOPE,
      },
    ],
    jwks: { keys: [jwk] },
    scopes: [SCOPE],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        // One resource server: JWT access tokens (RFC 9068) signed RS256, as Tessera issues.
        getResourceServerInfo: (ctx, indicator) => {
          if (indicator !== resource) throw new Error(`unknown resource ${indicator}`);
          return { scope: SCOPE, audience: resource, accessTokenTTL: 900, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
  });
  const server = provider.listen(Number(port), '127.0.0.1', () => process.send({ ready: true, issuer, pid: process.pid }));
  server.keepAliveTimeout = 60_000;
  process.on('disconnect', () => process.exit(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

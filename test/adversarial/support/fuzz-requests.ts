import fc from 'fast-check';

/** One generated HTTP request, as printed (shrunk) when a property fails. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** The ids a request may name: some real, so a request can get past the first check. */
export interface FuzzTargets {
  publicClientId: string;
  confidentialClientId: string;
  apiKeyId: string;
  tenantId: string;
  userId: string;
  clientId: string;
  keyId: string;
  adminToken: string;
  /** What admin requests carry as their Authorization, replaced by the real one when sent. */
  adminBearer: string;
}

const SQL = ["' OR '1'='1", "'; DROP TABLE users; --", '" OR 1=1 --', "1; SELECT pg_sleep(5)--", "admin'--", '$1', "%' UNION SELECT NULL,NULL--", '\\x00'];
const JSON_INJECTION = ['{"$ne":null}', '{"__proto__":{"admin":true}}', '","admin":true,"x":"', '[]', 'null', 'true', '{"constructor":{"prototype":{"x":1}}}'];
const UNICODE = ['\u0000', '\ud800', 'ﬁ', 'Ａlice', 'ǅ', '\u202e', '\ufeff', '🙂'.repeat(3), 'İ', 'ß', '\u0301', '\r\n', '%00', '%ff%fe', '..%2f..%2f'];

/** Printable ASCII only: what an HTTP header can carry at all. */
export const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 });

const controlText = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 8 });

/** Strings an attacker would try: random, any unicode, control bytes, NUL, injections, oversized. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...SQL, ...JSON_INJECTION, ...UNICODE),
  controlText,
  fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a}\u0000${b}`),
  // Up to beyond every limit: 16 KiB on the OAuth endpoints, 64 KiB elsewhere.
  fc.integer({ min: 200, max: 70_000 }).map((n) => 'A'.repeat(n)),
);

/** A JSON value of any type, strings hostile. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileText, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), hostileText, { maxKeys: 3 }),
);

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/json; charset=latin1',
  '',
];

const asFormValue = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');
/** Percent-encodes the UTF-8 bytes (encodeURIComponent throws on a lone surrogate; this sends U+FFFD). */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');

/** A body in one of several encodings, well-formed or not, with parameters possibly repeated. */
function encodedBody(fields: fc.Arbitrary<[string, unknown][]>, jsonFirst: boolean): fc.Arbitrary<{ contentType: string; payload: string | Buffer }> {
  const form = fields.map((entries) => ({
    contentType: 'application/x-www-form-urlencoded',
    payload: entries.map(([k, v]) => `${pct(k)}=${pct(asFormValue(v))}`).join('&'),
  }));
  const rawForm = fields.map((entries) => ({ contentType: 'application/x-www-form-urlencoded', payload: entries.map(([k, v]) => `${k}=${asFormValue(v)}`).join('&') }));
  // Duplicated keys survive in raw JSON text, not in an object.
  const json = fields.map((entries) => ({ contentType: 'application/json', payload: `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}` }));
  // An empty object could be a valid (no-op) PATCH: only values that are no object at all.
  const notAnObject = hostileValue
    .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
    .map((v) => ({ contentType: 'application/json', payload: JSON.stringify(v) ?? '' }));
  const broken = fc.tuple(fields, fc.nat()).map(([entries, cut]) => {
    const text = JSON.stringify(Object.fromEntries(entries));
    return { contentType: 'application/json', payload: text.slice(0, cut % Math.max(1, text.length)) };
  });
  // Raw bytes (not UTF-8, control bytes) after the fields, which keep their fault.
  const bytes = fc.tuple(fields, fc.uint8Array({ minLength: 1, maxLength: 300 })).map(([entries, b]) => ({
    contentType: 'application/x-www-form-urlencoded',
    payload: Buffer.concat([Buffer.from(entries.map(([k, v]) => `${pct(k)}=${pct(asFormValue(v))}&`).join('')), Buffer.from(b)]),
  }));
  const wrongType = fc.tuple(fields, fc.constantFrom(...CONTENT_TYPES)).map(([entries, contentType]) => ({ contentType, payload: JSON.stringify(Object.fromEntries(entries)) }));
  return fc.oneof(
    { weight: jsonFirst ? 2 : 4, arbitrary: form },
    { weight: 1, arbitrary: rawForm },
    { weight: jsonFirst ? 5 : 3, arbitrary: json },
    notAnObject,
    broken,
    bytes,
    wrongType,
  );
}

/** [name, value] pairs from a pool of the names an endpoint knows plus hostile ones; names may repeat. */
function fieldsFrom(known: Record<string, fc.Arbitrary<unknown>>, maxLength = 8): fc.Arbitrary<[string, unknown][]> {
  const entry = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...Object.keys(known)).chain((k) => known[k].map((v): [string, unknown] => [k, v])) },
    { weight: 1, arbitrary: fc.tuple(hostileText.filter((k) => k.length < 100), hostileValue) },
  );
  return fc.array(entry, { maxLength });
}

const basicOf = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** POST /token, /revoke or /introspect: never with a working credential, so every answer is an error. */
export function oauthRequest(path: '/token' | '/revoke' | '/introspect', t: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  // A public client authenticates by its id alone, and /revoke answers 200 for any token it
  // sends (RFC 7009 §2.2): it is left out there, the wrong secrets of the others stay.
  const clientIds = path === '/revoke' ? [t.confidentialClientId, t.apiKeyId] : [t.publicClientId, t.confidentialClientId, t.apiKeyId];
  const text = fc.oneof(hostileText, hostileText.map((s) => s.slice(0, 64)));
  const known: Record<string, fc.Arbitrary<unknown>> = {
    grant_type: fc.oneof(fc.constantFrom('password', 'refresh_token', 'client_credentials', 'authorization_code', 'PASSWORD'), hostileValue),
    client_id: fc.oneof(fc.constantFrom(...clientIds), hostileValue),
    client_secret: hostileValue,
    username: fc.oneof(fc.constant('Alice'), hostileValue),
    password: hostileValue,
    refresh_token: text,
    scope: fc.oneof(fc.constantFrom('models:list', 'admin:platform', 'models:list models:list'), hostileValue),
    token: text,
    token_type_hint: fc.oneof(fc.constantFrom('access_token', 'refresh_token'), hostileValue),
  };
  const authorization = fc.option(
    fc.oneof(
      fc.tuple(fc.constantFrom(...clientIds), headerText).map(([id, secret]) => basicOf(id, secret)),
      fc.tuple(headerText, headerText).map(([id, secret]) => basicOf(id, secret)),
      headerText.map((s) => `Basic ${s}`),
      headerText.map((s) => `Bearer ${s}`),
    ),
    { nil: undefined },
  );
  return fc.tuple(encodedBody(fieldsFrom(known), false), authorization).map(([body, auth]) => ({
    method: 'POST',
    url: path,
    headers: { ...(body.contentType ? { 'content-type': body.contentType } : {}), ...(auth ? { authorization: auth } : {}) },
    payload: body.payload,
  }));
}

/** GET /verify (or its Envoy path form) with credentials and route headers that are never good. */
export function verifyRequest(): fc.Arbitrary<FuzzRequest> {
  const jwtish = fc.tuple(headerText, headerText, headerText).map(([a, b, c]) => `${a}.${b}.${c}`);
  const credential = fc.oneof(
    fc.oneof(headerText, jwtish).map((s) => ({ authorization: `Bearer ${s}` })),
    headerText.map((s) => ({ authorization: s })),
    headerText.map((s) => ({ 'x-api-key': `tsk_${s}` })),
    headerText.map((s) => ({ 'x-api-key': s })),
    fc.tuple(headerText, headerText).map(([a, b]) => ({ authorization: `Bearer ${a}`, 'x-api-key': b })),
    fc.constant({}),
  );
  const route = fc.record(
    { 'x-original-uri': headerText, 'x-original-method': fc.oneof(fc.constantFrom('GET', 'POST'), headerText), 'x-forwarded-uri': headerText, 'x-auth-request-redirect-status': fc.constantFrom('403', 'x') },
    { requiredKeys: [] },
  );
  const path = fc.oneof(fc.constant('/verify'), fc.webPath().map((p) => `/verify${p.startsWith('/') ? p : `/${p}`}`));
  return fc.tuple(credential, route, path).map(([c, r, url]) => ({ method: 'GET', url, headers: { ...r, ...c } }));
}

/** An admin create or update (or /me/password) body, always carrying at least one fault. */
export function adminRequest(t: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const scopes = fc.oneof(fc.constant(['models:list']), fc.array(hostileText, { maxLength: 4 }), hostileValue);
  const tenant = `/admin/tenants/${t.tenantId}`;
  const targets: { method: string; url: string; known: Record<string, fc.Arbitrary<unknown>>; text: string[] }[] = [
    { method: 'POST', url: '/admin/tenants', known: { slug: hostileValue, name: hostileValue, scopes, settings: hostileValue }, text: ['slug', 'name'] },
    { method: 'PATCH', url: tenant, known: { name: hostileValue, scopes, settings: fc.oneof(fc.record({ accessTokenTtl: hostileValue, quota: hostileValue }), hostileValue), status: fc.oneof(fc.constantFrom('active', 'suspended'), hostileValue) }, text: ['name'] },
    { method: 'POST', url: `${tenant}/users`, known: { username: hostileValue, password: hostileValue, scopes }, text: ['username'] },
    { method: 'PATCH', url: `${tenant}/users/${t.userId}`, known: { scopes, disabled: hostileValue, password: hostileValue, unlock: hostileValue }, text: [] },
    { method: 'POST', url: `${tenant}/clients`, known: { name: hostileValue, type: fc.oneof(fc.constantFrom('public', 'confidential'), hostileValue), grantTypes: scopes, scopes, audience: hostileValue, allowedIps: hostileValue }, text: ['name', 'audience'] },
    { method: 'PATCH', url: `${tenant}/clients/${t.clientId}`, known: { name: hostileValue, grantTypes: scopes, scopes, audience: hostileValue, allowedIps: hostileValue }, text: ['name', 'audience'] },
    { method: 'POST', url: `${tenant}/api-keys`, known: { name: hostileValue, scopes, expiresAt: hostileValue, allowedIps: hostileValue }, text: ['name'] },
    { method: 'POST', url: `${tenant}/api-keys/${t.keyId}/rotate`, known: { graceSeconds: hostileValue }, text: [] },
    { method: 'POST', url: '/me/password', known: { currentPassword: hostileValue, newPassword: hostileValue }, text: [] },
  ];
  return fc.constantFrom(...targets).chain((target) => {
    // The fault that makes the request invalid whatever else was drawn: an unknown field
    // (refused by the whitelist), or a NUL in a field stored as text (refused by Postgres).
    const fault = fc.oneof(
      fc.string({ maxLength: 12 }).map((k): [string, unknown] => [`x-unknown-${k}`, 1]),
      ...target.text.map((f) => fc.string({ maxLength: 12 }).map((s): [string, unknown] => [f, `${s}\u0000`])),
    );
    const fields = fc.tuple(fieldsFrom(target.known, 6), fault).map(([entries, f]) => [...entries.filter(([k]) => k !== f[0]), f]);
    return encodedBody(fields, true).map((body) => ({
      method: target.method,
      url: target.url,
      headers: { authorization: t.adminBearer, ...(body.contentType ? { 'content-type': body.contentType } : {}) },
      payload: body.payload,
    }));
  });
}

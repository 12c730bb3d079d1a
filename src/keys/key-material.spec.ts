import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { generateKeyMaterial, importPrivateKey } from './key-material';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

describe(generateKeyMaterial.name, () => {
  it.each([
    ['RS256', { kty: 'RSA', e: 'AQAB' }, ['kty', 'n', 'e']],
    ['ES256', { kty: 'EC', crv: 'P-256' }, ['kty', 'crv', 'x', 'y']],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }, ['kty', 'crv', 'x']],
  ] as const)('makes a %s key whose kid is its RFC 7638 thumbprint', async (alg, shape, members) => {
    const sut = await generateKeyMaterial(alg);
    expect(sut.alg).toBe(alg);
    expect(sut.publicJwk).toMatchObject(shape);
    expect(Object.keys(sut.publicJwk).sort()).toEqual([...members].sort());
    for (const m of PRIVATE_MEMBERS) expect(sut.publicJwk).not.toHaveProperty(m);
    expect(sut.kid).toBe(await calculateJwkThumbprint(sut.publicJwk as unknown as JWK, 'sha256'));
  });

  it('makes RSA keys of 2048 bits whose private half signs for the public half', async () => {
    const sut = await generateKeyMaterial('RS256');
    const privateKey = importPrivateKey(sut.privateDer);
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const publicKey = createPublicKey({ key: sut.publicJwk, format: 'jwk' });
    const signature = sign('sha256', Buffer.from('x'), privateKey);
    expect(verify('sha256', Buffer.from('x'), publicKey, signature)).toBe(true);
    expect(createPrivateKey({ key: sut.privateDer, format: 'der', type: 'pkcs8' }).type).toBe('private');
  });

  it('never makes the same key twice', async () => {
    const [a, b] = await Promise.all([generateKeyMaterial('ES256'), generateKeyMaterial('ES256')]);
    expect(a.kid).not.toBe(b.kid);
  });
});

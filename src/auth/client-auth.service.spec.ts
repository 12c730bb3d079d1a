import { readClientCredentials } from './client-auth.service';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe(readClientCredentials.name, () => {
  it('reads HTTP Basic with form-encoded id and secret (RFC 6749 §2.3.1)', () => {
    expect(readClientCredentials({ authorization: basic('my client', 'p@ss:word') })).toEqual({ id: 'my client', secret: 'p@ss:word' });
  });

  it('reads the body', () => {
    expect(readClientCredentials({ clientId: 'c', clientSecret: 's' })).toEqual({ id: 'c', secret: 's' });
    expect(readClientCredentials({ clientId: 'public' })).toEqual({ id: 'public', secret: null });
  });

  it('refuses two methods at once and a body client_id that differs from Basic', () => {
    expect(() => readClientCredentials({ authorization: basic('c', 's'), clientSecret: 's' })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(() => readClientCredentials({ authorization: basic('c', 's'), clientId: 'other' })).toThrow(
      expect.objectContaining({ code: 'invalid_client' }),
    );
  });

  it.each(['Bearer x', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`, `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`])(
    'refuses %p as invalid_client',
    (authorization) => {
      expect(() => readClientCredentials({ authorization })).toThrow(expect.objectContaining({ code: 'invalid_client' }));
    },
  );

  it('needs some client identification', () => {
    expect(() => readClientCredentials({})).toThrow(expect.objectContaining({ code: 'invalid_client' }));
  });
});

import { BadRequestException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { NotFoundError } from './domain-errors';
import { ErrorResponder } from './error-responder';
import { OAuthError } from './oauth-error';

function fakeReply() {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const reply = {
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    code(status: number) {
      sent.status = status;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

describe(ErrorResponder.name, () => {
  const sut = new ErrorResponder();

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

  it('writes the RFC 6749 body with no-store on OAuth endpoints, keeping the detail out', () => {
    const { reply, sent } = fakeReply();
    sut.respond(new OAuthError('invalid_grant', { detail: 'refresh token reused' }), { url: '/token' }, reply);
    expect(sent).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'The grant is invalid, expired or revoked.' } });
    expect(sent.headers['cache-control']).toBe('no-store');
    expect(JSON.stringify(sent.body)).not.toContain('reused');
  });

  it('answers 400 for text Postgres cannot store (a NUL that got past validation), never 500', () => {
    const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    const oauth = fakeReply();
    sut.respond(nul, { url: '/revoke' }, oauth.reply);
    expect(oauth.sent).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const admin = fakeReply();
    sut.respond({ driverError: { code: '22021' } }, { url: '/admin/tenants' }, admin.reply);
    expect(admin.sent).toMatchObject({ status: 400, body: { status: 400 } });
  });

  it('challenges with Basic on invalid_client', () => {
    const { reply, sent } = fakeReply();
    sut.respond(new OAuthError('invalid_client'), { url: '/token?x=1' }, reply);
    expect(sent.status).toBe(401);
    expect(sent.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  it('turns a database outage into 503 temporarily_unavailable with Retry-After', () => {
    const { reply, sent } = fakeReply();
    sut.respond(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), { url: '/token' }, reply);
    expect(sent).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
    expect(sent.headers['retry-after']).toBe('5');
  });

  it('answers problem+json elsewhere, with validation fields and domain errors mapped', () => {
    const { reply, sent } = fakeReply();
    sut.respond(new BadRequestException({ errors: [{ field: 'slug', message: 'must be a slug' }] }), { url: '/admin/tenants' }, reply);
    expect(sent.status).toBe(400);
    expect(sent.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(sent.body).toMatchObject({ status: 400, errors: [{ field: 'slug', message: 'must be a slug' }] });
    const notFound = fakeReply();
    sut.respond(new NotFoundError('no tenant x'), { url: '/admin/tenants/x' }, notFound.reply);
    expect(notFound.sent).toMatchObject({ status: 404, body: { title: 'Not Found', detail: 'no tenant x' } });
  });

  it('answers an unknown route or method with 404/405 problem+json, on the OAuth paths too', () => {
    const { reply, sent } = fakeReply();
    sut.respond(new NotFoundException('Cannot GET /token'), { url: '/token' }, reply);
    expect(sent).toMatchObject({ status: 404, body: { title: 'Not Found', detail: 'Cannot GET /token' } });
    expect(sent.headers['content-type']).toMatch(/^application\/problem\+json/);
    const method = fakeReply();
    sut.respond(Object.assign(new Error('Method Not Allowed'), { statusCode: 405 }), { url: '/token' }, method.reply);
    expect(method.sent.status).toBe(405);
  });

  it('hides an unexpected error behind a generic 500', () => {
    const { reply, sent } = fakeReply();
    sut.respond(new TypeError('secret internals at line 3'), { url: '/me' }, reply);
    expect(sent).toMatchObject({ status: 500, body: { title: 'Internal Server Error', status: 500 } });
    expect(JSON.stringify(sent.body)).not.toContain('internals');
    const oauth = fakeReply();
    sut.respond(new TypeError('boom'), { url: '/token' }, oauth.reply);
    expect(oauth.sent.body).toEqual({ error: 'server_error', error_description: 'The server encountered an unexpected condition.' });
  });

  it('logs an unexpected error with its stack and the id of its request, never its query', () => {
    const lines: unknown[][] = [];
    const capture = { log: () => undefined, warn: () => undefined, debug: () => undefined, verbose: () => undefined, error: (...args: unknown[]) => lines.push(args) };
    Logger.overrideLogger(capture);
    try {
      sut.respond(new TypeError('boom'), { url: '/me?token=abc', id: 'req-7' }, fakeReply().reply);
    } finally {
      Logger.overrideLogger(false);
    }
    expect(lines).toHaveLength(1);
    const [message, stack] = lines[0];
    expect(message).toEqual({ reqId: 'req-7', url: '/me', msg: 'boom' });
    expect(stack).toEqual(expect.stringContaining('TypeError: boom'));
  });
});

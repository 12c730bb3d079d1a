import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/public.decorator';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { KeysService } from './keys.service';

/** RFC 7517 JWK Set; the body and ETag are precomputed by the key ring when the set changes. */
@Controller('.well-known')
export class JwksController {
  private readonly cacheControl: string;

  constructor(
    private readonly keys: KeysService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.cacheControl = `public, max-age=${config.jwksMaxAge}`;
  }

  @Public()
  @Get('jwks.json')
  jwks(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    const ring = this.keys.ring;
    reply.header('cache-control', this.cacheControl).header('etag', ring.etag);
    if (ifNoneMatch && matchesEtag(ifNoneMatch, ring.etag)) {
      reply.code(304).send();
      return;
    }
    reply.header('content-type', 'application/json; charset=utf-8').send(ring.jwksBody);
  }
}

/** RFC 9110 §13.1.2: If-None-Match holds "*" or a list of entity tags. */
function matchesEtag(header: string, etag: string): boolean {
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

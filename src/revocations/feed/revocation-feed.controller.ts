import { Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/public.decorator';
import { ApiOAuthErrors, RevocationFeedResponse } from '../../docs/oauth.schemas';
import { matchesEtag } from '../../keys/jwks.route';
import { RevocationFeedService } from './revocation-feed.service';

// Not throttled (contract 3 names /token, /revoke and /introspect): every verifier process polls
// it every few seconds, many of them from one address, and a poll that finds nothing is one
// index probe.
@ApiTags('oauth')
@Controller()
export class RevocationFeedController {
  constructor(private readonly feed: RevocationFeedService) {}

  /**
   * Contract 2.7: the incremental revocation feed for offline verifiers. GET for Basic and
   * Bearer callers; the same as POST for a caller whose client credentials are in a form body
   * (HTTP has no body on a GET that servers must read).
   */
  @Public()
  @Get('revocations')
  @ApiOperation({
    summary: 'Revocation feed for verifiers that check JWTs offline',
    description:
      'For an API key or client holding revocations:read (Basic, client_id/client_secret in a form body, or Bearer). Everything recorded after `since` (everything still relevant without it): refuse these jtis, and tokens of a subject (or, with sub null, of a whole tenant) issued before nbf; drop these kids. Pass the answer’s cursor as the next `since`. System-tenant callers see every tenant; others their own.',
  })
  @ApiQuery({ name: 'since', required: false, description: 'The cursor of the previous answer.' })
  @ApiBasicAuth()
  @ApiBearerAuth()
  @ApiOkResponse({ type: RevocationFeedResponse, headers: { ETag: { schema: { type: 'string' } }, 'Cache-Control': { schema: { type: 'string', example: 'no-cache' } } } })
  @ApiOAuthErrors()
  async read(
    @Query('since') since: string | string[] | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { feed, etag } = await this.feed.read({ authorization, ip: req.ip ?? null, body: req.body, since: Array.isArray(since) ? '' : since });
    reply.header('cache-control', 'no-cache').header('etag', etag);
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch && matchesEtag(ifNoneMatch, etag)) {
      reply.code(304);
      return undefined;
    }
    return feed;
  }

  @Public()
  @Post('revocations')
  @HttpCode(200)
  @ApiOperation({ summary: 'The revocation feed, for a caller that sends client_id and client_secret (and since) in a form body' })
  @ApiBasicAuth()
  @ApiOkResponse({ type: RevocationFeedResponse })
  @ApiOAuthErrors()
  readPost(
    @Query('since') since: string | string[] | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const fromBody = typeof body.since === 'string' ? body.since : undefined;
    return this.read(fromBody ?? since, authorization, req, reply);
  }
}

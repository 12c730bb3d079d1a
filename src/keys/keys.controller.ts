import { Controller, Get, HttpCode, Param, Post, type PipeTransform } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/admin-policy';
import { AdminRoute, CurrentActor } from '../auth/admin-route.decorator';
import { NotFoundError } from '../common/domain-errors';
import { KeyList, KeySummary } from './dto/key-summary.response';
import { KeysService } from './keys.service';

/** Kids this service issues are RFC 7638 SHA-256 thumbprints: 43 base64url characters. */
const KID_FORMAT = /^[A-Za-z0-9_-]{1,128}$/;

/** A path kid that cannot be one names nothing: 404 like an unknown kid, never a database error. */
class KidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!KID_FORMAT.test(value)) throw new NotFoundError('No such signing key.');
    return value;
  }
}

/** Contract 5 and 2.5: the signing-key ring, for platform admins only. */
@ApiTags('admin: signing keys')
@Controller('admin/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @AdminRoute('platform')
  @ApiOkResponse({ type: KeyList, description: 'Every key still kept, oldest first.' })
  list(): Promise<KeyList> {
    return this.keys.list();
  }

  @Post('rotate')
  @HttpCode(200)
  @AdminRoute('platform')
  @ApiOkResponse({ type: KeySummary, description: 'The new current key: tokens issued from now on carry its kid.' })
  rotate(@CurrentActor() actor: Actor): Promise<KeySummary> {
    return this.keys.rotateNow(actor);
  }

  @Post(':kid/revoke')
  @HttpCode(200)
  @AdminRoute('platform')
  @ApiParam({ name: 'kid', description: 'The key to revoke; if it is the current key, the next one takes over first.' })
  @ApiOkResponse({ type: KeySummary, description: 'The revoked key, gone from the JWKS at once.' })
  revoke(@Param('kid', new KidPipe()) kid: string, @CurrentActor() actor: Actor): Promise<KeySummary> {
    return this.keys.revoke(kid, actor);
  }
}

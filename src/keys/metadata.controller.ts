import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { INFERENCE_SCOPES } from '../auth/scopes';
import { Public } from '../common/public.decorator';
import type { AppConfig } from '../config/config';
import { AuthorizationServerMetadata } from '../docs/oauth.schemas';
import { APP_CONFIG } from '../config/config.module';

/** RFC 8414 authorization server metadata for the endpoints of contract section 2. */
@ApiTags('discovery')
@Controller('.well-known')
export class MetadataController {
  private readonly metadata: Record<string, unknown>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const base = config.issuer;
    const clientAuth = ['client_secret_basic', 'client_secret_post', 'none'];
    this.metadata = {
      issuer: base,
      token_endpoint: `${base}/token`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      revocation_endpoint: `${base}/revoke`,
      introspection_endpoint: `${base}/introspect`,
      grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
      // No authorization endpoint: tokens come only from the token endpoint.
      response_types_supported: [],
      token_endpoint_auth_methods_supported: clientAuth,
      revocation_endpoint_auth_methods_supported: clientAuth,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: [...INFERENCE_SCOPES, 'admin:tenant', 'admin:platform', 'revocations:read'],
      service_documentation: `${base}/docs`,
    };
  }

  @Public()
  @Get('oauth-authorization-server')
  @Header('cache-control', 'public, max-age=3600')
  @ApiOperation({ summary: 'RFC 8414 authorization server metadata' })
  @ApiOkResponse({ type: AuthorizationServerMetadata })
  get(): Record<string, unknown> {
    return this.metadata;
  }
}

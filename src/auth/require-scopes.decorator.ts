import { SetMetadata } from '@nestjs/common';

export const REQUIRED_SCOPES = 'tessera:requiredScopes';

/** The route needs a token holding every one of these scopes (403 insufficient_scope otherwise). */
export const RequireScopes = (...scopes: string[]) => SetMetadata(REQUIRED_SCOPES, scopes);

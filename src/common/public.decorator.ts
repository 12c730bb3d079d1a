import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tessera:isPublic';

/** Opts a route out of the global bearer-token guard: the JWKS, metadata, token and health routes. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

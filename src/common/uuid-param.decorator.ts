import { Param, ParseUUIDPipe } from '@nestjs/common';
import { NotFoundError } from './domain-errors';

/** A path id that is not a UUID names nothing: 404, like an unknown one (never a database error). */
export const UuidParam = (name: string) =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('No such resource.') }));

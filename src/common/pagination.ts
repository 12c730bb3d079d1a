import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, isUUID, Max, MaxLength, Min } from 'class-validator';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { InvalidInputError } from './domain-errors';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `?limit=&cursor=` of every admin list. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

interface CursorPosition {
  at: string;
  id: string;
}

/**
 * Keyset pagination over (timestamp column, id). The cursor keeps the timestamp as Postgres
 * prints it, microseconds included: a JavaScript Date would round to milliseconds and skip or
 * repeat rows created within the same millisecond.
 */
export async function keysetPage<E extends ObjectLiteral & { id: string }>(
  qb: SelectQueryBuilder<E>,
  page: PageQuery,
  opts: { column: string; order: 'ASC' | 'DESC' },
): Promise<Page<E>> {
  const alias = qb.alias;
  const at = `${alias}.${opts.column}`;
  const limit = pageSize(page);
  if (page.cursor) {
    const { at: cursorAt, id } = decodeCursor(page.cursor);
    qb.andWhere(`(${at}, ${alias}.id) ${opts.order === 'ASC' ? '>' : '<'} (:cursorAt::timestamptz, :cursorId::uuid)`, { cursorAt, cursorId: id });
  }
  const { entities, raw } = await qb
    .addSelect(`${at}::text`, 'page_at')
    .orderBy(at, opts.order)
    .addOrderBy(`${alias}.id`, opts.order)
    .limit(limit + 1)
    .getRawAndEntities<{ page_at: string }>();
  return pageOf(entities, limit, (_, i) => raw[i].page_at);
}

export function pageSize(page: PageQuery): number {
  return page.limit ?? DEFAULT_PAGE_SIZE;
}

/**
 * Cuts `limit + 1` fetched rows to a page; `atOf` gives a row's timestamp as Postgres printed
 * it (select `column::text`).
 */
export function pageOf<T extends { id: string }>(rows: T[], limit: number, atOf: (row: T, index: number) => string): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const last = limit - 1;
  return { items: rows.slice(0, limit), nextCursor: encodeCursor({ at: atOf(rows[last], last), id: rows[last].id }) };
}

function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

export function decodeCursor(raw: string): CursorPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && PG_TIMESTAMP.test(at) && isUUID(id)) return { at, id };
  } catch {
    // fall through: any malformed cursor is the same 400
  }
  throw new InvalidInputError('is not a cursor this service issued', 'cursor');
}

import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { BadRequestException } from '@nestjs/common';
import { createValidationPipe } from './validation';

class Inner {
  @IsOptional() @IsInt() @Min(1) ttl?: number;
}

class Body {
  @IsString() @MaxLength(3) name: string;
  @IsOptional() @ValidateNested() @Type(() => Inner) settings?: Inner;
}

describe('createValidationPipe', () => {
  const sut = createValidationPipe();
  const run = (value: unknown) => sut.transform(value, { type: 'body', metatype: Body });
  const errorsOf = async (value: unknown) => {
    try {
      await run(value);
    } catch (err) {
      expect(err).toBeInstanceOf(BadRequestException);
      return ((err as BadRequestException).getResponse() as { errors: unknown }).errors;
    }
    throw new Error('expected a 400');
  };

  it('passes a valid body through as the DTO class', async () => {
    await expect(run({ name: 'abc', settings: { ttl: 2 } })).resolves.toBeInstanceOf(Body);
  });

  it('names missing, wrong-typed, oversized, unknown and nested fields', async () => {
    expect(await errorsOf({})).toEqual([
      { field: 'name', message: 'must be shorter than or equal to 3 characters' },
      { field: 'name', message: 'must be a string' },
    ]);
    expect(await errorsOf({ name: 'abcd' })).toEqual([{ field: 'name', message: 'must be shorter than or equal to 3 characters' }]);
    expect(await errorsOf({ name: 'a', extra: 1 })).toEqual([{ field: 'extra', message: 'is not a known field' }]);
    expect(await errorsOf({ name: 'a', settings: { ttl: 0, more: true } })).toEqual(
      expect.arrayContaining([
        { field: 'settings.ttl', message: 'must not be less than 1' },
        { field: 'settings.more', message: 'is not a known field' },
      ]),
    );
  });

  it('refuses a body that is JSON null instead of reading it as an empty object; no body at all is still {}', async () => {
    expect(await errorsOf(null)).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    await expect(sut.transform(undefined, { type: 'body', metatype: Inner })).resolves.toBeInstanceOf(Inner);
  });
});

import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ScopesGuard } from './scopes.guard';

function contextWith(required: string[] | undefined, scopes: string[] | null): ExecutionContext {
  const handler = () => undefined;
  Reflect.defineMetadata('tessera:requiredScopes', required, handler);
  return {
    getHandler: () => handler,
    getClass: () => class {},
    switchToHttp: () => ({ getRequest: () => ({ user: scopes ? { scopes } : undefined }) }),
  } as unknown as ExecutionContext;
}

describe(ScopesGuard.name, () => {
  const sut = new ScopesGuard(new Reflector());

  it('lets through routes that name no scope', () => {
    expect(sut.canActivate(contextWith(undefined, null))).toBe(true);
  });

  it('needs every named scope', () => {
    expect(sut.canActivate(contextWith(['a', 'b'], ['b', 'a', 'c']))).toBe(true);
    expect(() => sut.canActivate(contextWith(['a', 'b'], ['a']))).toThrow(expect.objectContaining({ code: 'insufficient_scope', status: 403 }));
    expect(() => sut.canActivate(contextWith(['a'], null))).toThrow(expect.objectContaining({ code: 'insufficient_scope' }));
  });
});

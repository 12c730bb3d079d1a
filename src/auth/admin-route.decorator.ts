import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Actor, AdminRouteKind } from './admin-policy';
import { ADMIN_ROUTE, AdminGuard, type AdminRequest } from './admin.guard';

/** Marks an admin route and who may use it; AdminGuard applies the policy. */
export const AdminRoute = (kind: AdminRouteKind) =>
  applyDecorators(
    SetMetadata(ADMIN_ROUTE, kind),
    UseGuards(AdminGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No valid bearer token.' }),
    ApiForbiddenResponse({ description: kind === 'platform' ? 'Not a platform admin.' : 'Not an admin of this tenant.' }),
    ApiNotFoundResponse({ description: 'No such resource, or it belongs to another tenant.' }),
  );

/** The admin performing the request, as AdminGuard resolved it. */
export const CurrentActor = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Actor => context.switchToHttp().getRequest<AdminRequest>().actor!,
);

import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/admin-policy';
import { AdminRoute, CurrentActor } from '../auth/admin-route.decorator';
import { AuditService } from './audit.service';
import { AuditEventQuery } from './dto/audit-event-query.dto';
import { AuditEventPage } from './dto/audit-event.response';

@ApiTags('admin: audit')
@Controller('admin/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** The tenant is a query filter, not a path parameter, so AuditService confines tenant admins. */
  @Get()
  @AdminRoute('tenant')
  @ApiOkResponse({ type: AuditEventPage })
  list(@CurrentActor() actor: Actor, @Query() query: AuditEventQuery): Promise<AuditEventPage> {
    return this.audit.list(actor, query);
  }
}

import { Controller, Get, Header, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AuditService } from '../audit/audit.service';
import { AuditEventQuery } from '../audit/dto/audit-event-query.dto';
import { InvalidInputError } from '../common/domain-errors';
import { Public } from '../common/public.decorator';
import { requireTenant } from './console-access';
import type { ConsoleCaller } from './console-auth.service';
import { toDto } from './console-forms';
import { ConsoleView } from './console-view';
import { Caller, ConsoleGuard, ConsoleLoginRedirect } from './console.guard';
import { auditView, type AuditFilters } from './views/audit.view';

const NAMES: (keyof AuditFilters)[] = ['action', 'actor', 'target', 'since', 'until', 'tenant_id'];
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

function filtersOf(query: Record<string, unknown>): AuditFilters {
  const f = {} as AuditFilters;
  for (const name of NAMES) f[name] = typeof query[name] === 'string' ? (query[name] as string).trim().slice(0, 200) : '';
  return f;
}

/** datetime-local fields carry no zone: the console reads them as UTC, as it shows times. */
const utc = (local: string) => (LOCAL_TIME.test(local) ? `${local.length === 16 ? `${local}:00` : local}Z` : local || undefined);

/** Screen 5: the audit trail, through AuditService like /admin/audit-events; filters live in the URL. */
@ApiExcludeController()
@Public()
@Controller('console/audit')
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleLoginRedirect)
export class AuditConsole {
  constructor(
    private readonly audit: AuditService,
    private readonly view: ConsoleView,
  ) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  async list(@Req() req: FastifyRequest, @Caller() caller: ConsoleCaller, @Query() raw: Record<string, unknown>): Promise<string> {
    const filters = filtersOf(raw);
    const cursor = typeof raw.cursor === 'string' && raw.cursor ? raw.cursor.slice(0, 300) : undefined;
    let page = { items: [] as Awaited<ReturnType<AuditService['list']>>['items'], nextCursor: null as string | null };
    let error: string | undefined;
    try {
      page = await this.audit.list(caller.actor, await this.query(caller, filters, cursor, 50));
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      error = err.field ? `${err.field}: ${err.message}` : err.message;
    }
    const body = auditView({ filters, platform: caller.actor.platform, events: page.items, cursor, nextCursor: page.nextCursor, error });
    return this.view.page(req, caller, { title: 'Audit events', active: 'audit', body });
  }

  /** Every event of the filtered set, newest first, one JSON object a line, streamed page by page. */
  @Get('export.ndjson')
  async export(@Caller() caller: ConsoleCaller, @Query() raw: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    const filters = filtersOf(raw);
    const first = await this.query(caller, filters, undefined, 200);
    const audit = this.audit;
    const query = (cursor: string) => this.query(caller, filters, cursor, 200);
    async function* lines(): AsyncGenerator<string> {
      let page = await audit.list(caller.actor, first);
      for (;;) {
        yield page.items.map((e) => `${JSON.stringify(e)}\n`).join('');
        if (!page.nextCursor) return;
        page = await audit.list(caller.actor, await query(page.nextCursor));
      }
    }
    void reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', 'attachment; filename="audit-events.ndjson"')
      .send(Readable.from(lines()));
  }

  private async query(caller: ConsoleCaller, f: AuditFilters, cursor: string | undefined, limit: number): Promise<AuditEventQuery> {
    if (f.tenant_id && caller.actor.platform === false) requireTenant(caller, f.tenant_id);
    const plain: Record<string, unknown> = { limit, cursor, action: f.action || undefined, actor: f.actor || undefined, target: f.target || undefined, since: utc(f.since), until: utc(f.until), tenant_id: f.tenant_id || undefined };
    for (const k of Object.keys(plain)) if (plain[k] === undefined) delete plain[k];
    return toDto(AuditEventQuery, plain);
  }
}

import type { TenantResponse } from '../../tenants/dto/tenant.response';
import type { Command } from '../command';
import { table, when } from '../output';

export const tenantsListCommand: Command = {
  name: 'tenants list',
  summary: 'list the tenants',
  options: {},
  async run(_values, env) {
    const [{ TenantsModule }, { TenantsService }, { MAX_PAGE_SIZE }] = await Promise.all([
      import('../../tenants/tenants.module'),
      import('../../tenants/tenants.service'),
      import('../../common/pagination'),
    ]);
    const items = await env.withContext([TenantsModule], async (app) => {
      const tenants = app.get(TenantsService);
      const all: TenantResponse[] = [];
      let cursor: string | undefined;
      do {
        const page = await tenants.list({ limit: MAX_PAGE_SIZE, cursor });
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    });
    const text = table(
      ['slug', 'status', 'id', 'created', 'name'],
      items.map((t) => [t.slug, t.status, t.id, when(t.createdAt), t.name]),
    );
    env.print(text, { items });
  },
};

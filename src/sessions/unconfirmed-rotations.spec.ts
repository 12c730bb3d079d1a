import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import { UnconfirmedRotations } from './unconfirmed-rotations';

describe(UnconfirmedRotations.name, () => {
  const hash = Buffer.from('ab'.repeat(32), 'hex');
  let down: boolean;
  let queries: unknown[][];
  let audited: { action: string; details?: Record<string, unknown> }[];
  let sut: UnconfirmedRotations;

  beforeEach(() => {
    down = false;
    queries = [];
    audited = [];
    const manager = {
      query: async (_sql: string, params: unknown[]) => {
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        queries.push(params);
        return [{ family_id: 'f', tenant_id: 't', user_id: 'u' }];
      },
    } as unknown as EntityManager;
    const dataSource = { transaction: (work: (m: EntityManager) => Promise<unknown>) => work(manager) } as unknown as DataSource;
    const audit = { record: async (event: { action: string }) => void audited.push(event) } as unknown as AuditService;
    sut = new UnconfirmedRotations(dataSource, audit);
  });

  afterEach(() => sut.onApplicationShutdown());

  it('undoes a noted rotation before the same token is judged again, once, and audits it', async () => {
    sut.note(hash, 'jti-1');
    await sut.settle(hash);
    expect(queries).toEqual([['jti-1', hash]]);
    expect(audited).toEqual([expect.objectContaining({ action: 'token.refresh_undone', details: { jti: 'jti-1' } })]);
    await sut.settle(hash);
    expect(queries).toHaveLength(1);
  });

  it('keeps the undo while the database is unreachable, so a presentation of the token fails rather than counts as reuse', async () => {
    sut.note(hash, 'jti-2');
    down = true;
    await expect(sut.settle(hash)).rejects.toThrow('ECONNREFUSED');
    down = false;
    await sut.settle(hash);
    expect(queries).toEqual([['jti-2', hash]]);
  });

  it('leaves tokens it was never told about alone', async () => {
    await sut.settle(hash);
    expect(queries).toEqual([]);
  });
});

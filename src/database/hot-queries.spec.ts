import type { DataSource } from 'typeorm';
import type { DatabaseTarget } from './database.providers';
import { HotQueries } from './hot-queries';

const STATEMENT = { name: 'probe', text: 'SELECT $1::int AS n' };

function setup(target: { embedded: boolean }, version = 'PostgreSQL 15.20 on x86_64-pc-linux-gnu') {
  const query = jest.fn(async (q: string | { text: string }) =>
    typeof q === 'string' ? { rows: [{ pglite: version.includes('PGlite') }] } : { rows: [{ n: 1 }] },
  );
  const dataSource = { driver: { master: { query } } } as unknown as DataSource;
  const sut = new HotQueries(dataSource, target as DatabaseTarget);
  return { sut, query };
}

describe(HotQueries.name, () => {
  it('names its statements on a PostgreSQL server, so each connection plans them once', async () => {
    const { sut, query } = setup({ embedded: false });
    await sut.onModuleInit();
    await expect(sut.rows(STATEMENT, [1])).resolves.toEqual([{ n: 1 }]);
    expect(query).toHaveBeenLastCalledWith({ name: 'probe', text: STATEMENT.text, values: [1] });
  });

  it('sends the same text unnamed to the embedded database, one session shared by every connection', async () => {
    const { sut, query } = setup({ embedded: true });
    await sut.onModuleInit();
    await sut.rows(STATEMENT, [1]);
    expect(query).toHaveBeenCalledTimes(1);
    expect(query).toHaveBeenLastCalledWith({ text: STATEMENT.text, values: [1] });
  });

  it('sends them unnamed to a PGlite reached through DATABASE_URL', async () => {
    const { sut, query } = setup({ embedded: false }, 'PostgreSQL 18.6 (PGlite 0.5.14) on wasm32-unknown-emscripten');
    await sut.onModuleInit();
    await sut.rows(STATEMENT, [1]);
    expect(query).toHaveBeenLastCalledWith({ text: STATEMENT.text, values: [1] });
  });
});

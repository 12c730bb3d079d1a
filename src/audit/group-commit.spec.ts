import { GroupCommit } from './group-commit';

describe(GroupCommit.name, () => {
  function setup(fail: (params: unknown[]) => boolean = () => false) {
    const statements: { sql: string; params: unknown[] }[] = [];
    let release: () => void = () => undefined;
    let gate: Promise<void> = Promise.resolve();
    const query = async (sql: string, params: unknown[]) => {
      statements.push({ sql, params });
      await gate;
      if (fail(params)) throw new Error('bad row');
    };
    const sut = new GroupCommit('t', ['a', 'b'], query);
    return { sut, statements, hold: () => (gate = new Promise((r) => (release = r))), release: () => release() };
  }

  it('writes a lone event alone, as one statement', async () => {
    const { sut, statements } = setup();
    await sut.write([1, 'x']);
    expect(statements).toEqual([{ sql: 'INSERT INTO t (a, b) VALUES ($1, $2)', params: [1, 'x'] }]);
  });

  it('writes concurrent events in one statement and answers each only after it committed', async () => {
    const { sut, statements, hold, release } = setup();
    hold();
    let done = 0;
    const writes = [1, 2, 3].map((i) => sut.write([i, `e${i}`]).then(() => done++));
    await new Promise((r) => setImmediate(r));
    expect(statements).toEqual([{ sql: 'INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)', params: [1, 'e1', 2, 'e2', 3, 'e3'] }]);
    expect(done).toBe(0);
    release();
    await Promise.all(writes);
    expect(done).toBe(3);
  });

  it('gathers what arrives during a write into the next statement', async () => {
    const { sut, statements, hold, release } = setup();
    hold();
    const first = sut.write([1, 'a']);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3].map((i) => sut.write([i, 'b']));
    release();
    await Promise.all([first, ...later]);
    expect(statements.map((s) => s.params)).toEqual([[1, 'a'], [2, 'b', 3, 'b']]);
  });

  it('fails only the request whose event cannot be written', async () => {
    const { sut, statements } = setup((params) => params.includes('bad'));
    const results = await Promise.allSettled([sut.write([1, 'ok']), sut.write([2, 'bad']), sut.write([3, 'ok'])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The batch, then each event on its own.
    expect(statements).toHaveLength(4);
  });
});

import { StatementBatch } from './statement-batch';

interface Input {
  token: string;
}

/** A fake statement: answers `row-<token>` for each token except those named unknown; records each batch. */
function statement(options: { unknown?: string[]; failWith?: (batch: readonly Input[]) => unknown } = {}) {
  const batches: string[][] = [];
  const run = async (batch: readonly Input[]): Promise<Map<number, string>> => {
    batches.push(batch.map((i) => i.token));
    await new Promise((resolve) => setImmediate(resolve));
    const failure = options.failWith?.(batch);
    if (failure) throw failure;
    return new Map(batch.flatMap((input, index) => (options.unknown?.includes(input.token) ? [] : [[index, `row-${input.token}`] as [number, string]])));
  };
  return { run, batches };
}

const byToken = (input: Input) => input.token;

describe(StatementBatch.name, () => {
  it('sends what arrives together as one statement and answers each with its own row', async () => {
    const { run, batches } = statement({ unknown: ['b'] });
    const sut = new StatementBatch(run, { keyOf: byToken });
    const answers = await Promise.all(['a', 'b', 'c'].map((token) => sut.submit({ token })));
    expect(answers).toEqual(['row-a', undefined, 'row-c']);
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('forms the next batch from what arrived while one was in flight', async () => {
    const { run, batches } = statement();
    const sut = new StatementBatch(run, { keyOf: byToken });
    const first = sut.submit({ token: 'a' });
    await new Promise((resolve) => setImmediate(resolve));
    const later = [sut.submit({ token: 'b' }), sut.submit({ token: 'c' })];
    await Promise.all([first, ...later]);
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });

  it('without keys, takes the queue in arrival order, repeats and all', async () => {
    const { run, batches } = statement();
    const sut = new StatementBatch(run, { maxBatch: 3 });
    await Promise.all(['a', 'a', 'b', 'a'].map((token) => sut.submit({ token })));
    expect(batches).toEqual([['a', 'a', 'b'], ['a']]);
  });

  it('never puts one token twice in a statement: the second presentation goes to a later batch', async () => {
    const { run, batches } = statement();
    const sut = new StatementBatch(run, { keyOf: byToken });
    const answers = await Promise.all(['a', 'a', 'b', 'a'].map((token) => sut.submit({ token })));
    expect(answers).toEqual(['row-a', 'row-a', 'row-b', 'row-a']);
    expect(batches).toEqual([['a', 'b'], ['a'], ['a']]);
  });

  it('caps a batch at its maximum size', async () => {
    const { run, batches } = statement();
    const sut = new StatementBatch(run, { keyOf: byToken, maxBatch: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((token) => sut.submit({ token })));
    expect(batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('tries each presentation of a failed statement alone, so a bad one fails only its own request', async () => {
    const bad = new Error('invalid input syntax');
    const { run, batches } = statement({ failWith: (batch) => (batch.some((i) => i.token === 'x') ? bad : null) });
    const sut = new StatementBatch(run, { keyOf: byToken });
    const outcomes = await Promise.allSettled(['a', 'x', 'b'].map((token) => sut.submit({ token })));
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 'row-a' },
      { status: 'rejected', reason: bad },
      { status: 'fulfilled', value: 'row-b' },
    ]);
    expect(batches).toEqual([['a', 'x', 'b'], ['a'], ['x'], ['b']]);
  });

  it('does not retry when the connection broke: the statement may have committed, so every request fails with the error', async () => {
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    const { run, batches } = statement({ failWith: () => lost });
    const sut = new StatementBatch(run, { keyOf: byToken });
    const outcomes = await Promise.allSettled(['a', 'b'].map((token) => sut.submit({ token })));
    expect(outcomes).toEqual([
      { status: 'rejected', reason: lost },
      { status: 'rejected', reason: lost },
    ]);
    expect(batches).toEqual([['a', 'b']]);
  });

  it('keeps working after a failed batch', async () => {
    let fail = true;
    const { run } = statement({ failWith: () => (fail ? new Error('boom') : null) });
    const sut = new StatementBatch(run, { keyOf: byToken });
    await expect(sut.submit({ token: 'a' })).rejects.toThrow('boom');
    fail = false;
    await expect(sut.submit({ token: 'a' })).resolves.toBe('row-a');
  });

  describe('with a hold', () => {
    const turn = () => new Promise((resolve) => setImmediate(resolve));

    /** A hold that waits while fewer than `size` are queued and `coming` writes are on their way. */
    function holding(size: number, maxMs: number) {
      const state = { coming: 0 };
      const { run, batches } = statement();
      const sut = new StatementBatch(run, { hold: { expected: (queued) => queued < size && state.coming > 0, maxMs } });
      /** One announced write arrives: released, then submitted in the same turn, as a login does. */
      const arrive = (token: string) => {
        state.coming--;
        sut.release();
        return sut.submit({ token });
      };
      return { sut, state, batches, arrive };
    }

    it('sends at once when no other write is on its way', async () => {
      const { sut, batches } = holding(3, 60_000);
      await sut.submit({ token: 'a' });
      expect(batches).toEqual([['a']]);
    });

    it('holds a write for the ones announced, and sends them together once the batch is full', async () => {
      const { sut, state, batches, arrive } = holding(3, 60_000);
      state.coming = 5;
      const first = sut.submit({ token: 'a' });
      await turn();
      await turn();
      expect(batches).toEqual([]);
      const second = arrive('b');
      await turn();
      await turn();
      expect(batches).toEqual([]);
      const third = arrive('c');
      await Promise.all([first, second, third]);
      expect(batches).toEqual([['a', 'b', 'c']]);
    });

    it('sends what it holds once no more are on their way, whether or not the batch is full', async () => {
      const { sut, state, batches } = holding(3, 60_000);
      state.coming = 1;
      const first = sut.submit({ token: 'a' });
      await turn();
      // The one announced failed its verification: it will not write.
      state.coming--;
      sut.release();
      await first;
      expect(batches).toEqual([['a']]);
    });

    it('waits no longer than maxMs for writes that do not come', async () => {
      const { sut, state, batches } = holding(3, 20);
      state.coming = 2;
      const started = Date.now();
      await sut.submit({ token: 'a' });
      expect(batches).toEqual([['a']]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    });
  });
});

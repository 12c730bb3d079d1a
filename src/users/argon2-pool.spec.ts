import { hash as libraryHash, verify as libraryVerify } from '@node-rs/argon2';
import { readdirSync, readFileSync } from 'node:fs';
import { Argon2Pool, Argon2PoolError } from './argon2-pool';

// Small costs: these tests are about the pool, not about argon2's strength.
const OPTIONS = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** Niceness of every thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe(Argon2Pool.name, () => {
  let sut: Argon2Pool;

  afterEach(() => sut.close());

  it('hashes and verifies in a form the library itself reads', async () => {
    sut = new Argon2Pool(2, 0);
    const stored = await sut.hash('correct horse', OPTIONS);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    await expect(libraryVerify(stored, 'correct horse')).resolves.toBe(true);
    const fromLibrary = await libraryHash('battery staple', OPTIONS);
    await expect(sut.verify(fromLibrary, 'battery staple')).resolves.toBe(true);
    await expect(sut.verify(fromLibrary, 'battery stapler')).resolves.toBe(false);
  });

  it('gives each of its `size` threads one job to run and one to start next, and queues the rest', async () => {
    sut = new Argon2Pool(2, 0);
    const stored = await sut.hash('pw', OPTIONS);
    const jobs = Array.from({ length: 7 }, () => sut.verify(stored, 'pw'));
    expect(sut.waiting).toBe(3);
    const posted = (sut as unknown as { slots: { posted: unknown[] }[] }).slots.map((s) => s.posted.length);
    expect(posted).toEqual([2, 2]);
    await expect(Promise.all(jobs)).resolves.toEqual(Array(7).fill(true));
    expect(sut.waiting).toBe(0);
  });

  it('spreads jobs over idle threads before queueing a second one on any thread', async () => {
    sut = new Argon2Pool(3, 0);
    const stored = await sut.hash('pw', OPTIONS);
    const jobs = Array.from({ length: 4 }, () => sut.verify(stored, 'pw'));
    const posted = (sut as unknown as { slots: { posted: unknown[] }[] }).slots.map((s) => s.posted.length);
    expect(posted.sort()).toEqual([1, 1, 2]);
    await expect(Promise.all(jobs)).resolves.toEqual(Array(4).fill(true));
  });

  it('answers queued jobs in arrival order', async () => {
    sut = new Argon2Pool(1, 0);
    const stored = await sut.hash('pw', OPTIONS);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => sut.verify(stored, i % 2 ? 'pw' : 'nope').then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('rejects an unreadable hash with the library error, not a pool failure', async () => {
    sut = new Argon2Pool(1, 0);
    const outcome = sut.verify('not-a-hash', 'pw');
    await expect(outcome).rejects.toThrow();
    await expect(outcome).rejects.not.toBeInstanceOf(Argon2PoolError);
  });

  it('fails the job of a thread that dies and carries on with a new thread', async () => {
    sut = new Argon2Pool(1, 0);
    const stored = await sut.hash('pw', OPTIONS);
    const running = sut.verify(stored, 'pw');
    const next = sut.verify(stored, 'pw');
    // The one thread dies under its job, with the next one posted to it.
    const [slot] = (sut as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    await slot.worker.terminate();
    await expect(running).rejects.toBeInstanceOf(Argon2PoolError);
    await expect(next).rejects.toBeInstanceOf(Argon2PoolError);
    await expect(sut.verify(stored, 'pw')).resolves.toBe(true);
  });

  it('refuses work once closed, failing what was still queued', async () => {
    sut = new Argon2Pool(1, 0);
    const stored = await sut.hash('pw', OPTIONS);
    const running = sut.verify(stored, 'pw');
    const queued = sut.verify(stored, 'pw');
    const closing = sut.close();
    await expect(queued).rejects.toBeInstanceOf(Argon2PoolError);
    await expect(running).rejects.toBeInstanceOf(Argon2PoolError);
    await closing;
    await expect(sut.verify(stored, 'pw')).rejects.toBeInstanceOf(Argon2PoolError);
  });

  const onLinux = process.platform === 'linux' ? it : it.skip;
  onLinux('runs its threads at the configured niceness', async () => {
    const before = threadNiceness().filter((n) => n === 7).length;
    sut = new Argon2Pool(2, 7);
    const stored = await sut.hash('pw', OPTIONS);
    await Promise.all([sut.verify(stored, 'pw'), sut.verify(stored, 'pw')]);
    expect(threadNiceness().filter((n) => n === 7).length - before).toBe(2);
  });
});

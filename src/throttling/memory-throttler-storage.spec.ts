import { ThrottlerStorageService } from '@nestjs/throttler';
import { MemoryThrottlerStorage } from './memory-throttler-storage';

describe(MemoryThrottlerStorage.name, () => {
  let now: number;
  let sut: MemoryThrottlerStorage;
  let library: ThrottlerStorageService;

  beforeEach(() => {
    now = 1_800_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    sut = new MemoryThrottlerStorage();
    library = new ThrottlerStorageService();
  });

  afterEach(() => {
    sut.onApplicationShutdown();
    library.onApplicationShutdown();
    jest.restoreAllMocks();
  });

  /** A small deterministic generator, so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }

  it.each([1, 2, 3, 4, 5])('answers as @nestjs/throttler does, request for request (seed %i)', async (seed) => {
    const next = random(seed);
    const keys = ['ip-a', 'ip-b', 'subject-c'];
    // A window of 2 s with a limit of 5, blocking for 3 s (or not at all: blockDuration 0).
    for (const blockDuration of [3000, 0]) {
      for (let i = 0; i < 2000; i++) {
        now += Math.floor(next() * 400);
        const key = `${keys[Math.floor(next() * keys.length)]}-${blockDuration}`;
        const name = key.startsWith('subject') ? 'subject' : 'ip';
        const ours = await sut.increment(key, 2000, 5, blockDuration, name);
        const theirs = await library.increment(key, 2000, 5, blockDuration, name);
        expect({ i, key, ...ours }).toEqual({ i, key, ...theirs });
      }
    }
  });

  it('refuses past the limit until the block is over, then counts from one again', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await sut.increment('k', 60_000, 3, 30_000, 'ip'));
    expect(answers.map((a) => [a.totalHits, a.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(answers[3].timeToBlockExpire).toBe(30);
    now += 30_000;
    expect(await sut.increment('k', 60_000, 3, 30_000, 'ip')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('counts a window of many hits', async () => {
    for (let i = 0; i < 50_000; i++) {
      now += 1;
      await sut.increment('busy', 1_000_000, 1e9, 1_000_000, 'ip');
    }
    expect((await sut.increment('busy', 1_000_000, 1e9, 1_000_000, 'ip')).totalHits).toBe(50_001);
    now += 1_000_000 - 25_000;
    expect((await sut.increment('busy', 1_000_000, 1e9, 1_000_000, 'ip')).totalHits).toBe(25_002);
  });

  it('keeps its order when a key is counted with a shorter window than before', async () => {
    await sut.increment('k', 10_000, 100, 0, 'ip');
    await sut.increment('k', 1_000, 100, 0, 'ip');
    now += 1_000;
    expect((await sut.increment('k', 1_000, 100, 0, 'ip')).totalHits).toBe(2);
    // The 1 s hits have gone, the 10 s one is still counted (out of arrival order).
    now += 8_000;
    expect((await sut.increment('k', 1_000, 100, 0, 'ip')).totalHits).toBe(2);
  });

  it('forgets a key once its window and block are over and no hit is left', async () => {
    await sut.increment('gone', 1_000, 10, 1_000, 'ip');
    await sut.increment('blocked', 1_000, 0, 120_000, 'ip');
    now += 2_000;
    sut.evictIdle();
    expect(sut.size).toBe(1);
    now += 120_000;
    sut.evictIdle();
    expect(sut.size).toBe(0);
  });
});

import { SeqCursor } from './seq-cursor';

describe(SeqCursor.name, () => {
  it('moves past what it saw and asks again for values skipped over', () => {
    const sut = new SeqCursor(60_000);
    sut.observe([1, 2, 5], 0);
    expect(sut.high).toBe(5);
    expect(sut.pending(0).sort()).toEqual([3, 4]);
    // 4 commits late: it is no longer pending; 3 still is.
    sut.observe([4, 6], 1000);
    expect(sut.high).toBe(6);
    expect(sut.pending(1000)).toEqual([3]);
  });

  it('gives a gap up once no writing transaction can still hold it', () => {
    const sut = new SeqCursor(60_000);
    sut.observe([1, 3], 0);
    expect(sut.pending(59_000)).toEqual([2]);
    expect(sut.pending(61_000)).toEqual([]);
  });

  it('does not track a huge jump value by value', () => {
    const sut = new SeqCursor(60_000, 100);
    sut.observe([1, 1000], 0);
    expect(sut.high).toBe(1000);
    expect(sut.pending(0)).toEqual([]);
  });

  it('after a full load, treats the unseen values just below the top as gaps', () => {
    const sut = new SeqCursor(60_000);
    sut.startAt(2000, [1990, 2000], 0, 20);
    expect(sut.high).toBe(2000);
    const pending = sut.pending(0);
    expect(pending).toHaveLength(18);
    expect(pending).not.toContain(1990);
    expect(Math.min(...pending)).toBe(1981);
  });
});

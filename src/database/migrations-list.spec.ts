import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from '../../migrations';

describe('migrations/index.ts', () => {
  it('lists every migration file, oldest first', () => {
    const files = readdirSync(join(__dirname, '../../migrations'))
      .filter((f) => /^\d+-\w+\.ts$/.test(f))
      .sort();
    const listed = MIGRATIONS.map((m) => new m().name);
    const expected = files.map((f) => {
      const [, timestamp, name] = /^(\d+)-(\w+)\.ts$/.exec(f)!;
      return `${name}${timestamp}`;
    });
    expect(listed).toEqual(expected);
  });
});

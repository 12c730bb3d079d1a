import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { threadPoolSize } from './thread-pool';

describe(threadPoolSize.name, () => {
  it('is one thread per core, at least two, unless the operator chose a size', () => {
    expect(threadPoolSize(undefined, 2)).toBe(2);
    expect(threadPoolSize(undefined, 1)).toBe(2);
    expect(threadPoolSize(undefined, 16)).toBe(16);
    expect(threadPoolSize('6', 2)).toBe(6);
    expect(threadPoolSize('1', 8)).toBe(1);
  });

  it('takes the default for a size that is not a positive whole number', () => {
    for (const bad of ['', ' ', '0', '-3', '2.5', 'four']) expect(threadPoolSize(bad, 4)).toBe(4);
  });

  // Linux: each of libuv's threads is a task of the process.
  (existsSync('/proc/self/task') ? it : it.skip)('gives libuv the size before its pool starts', () => {
    const script = `
      const { readdirSync } = require('node:fs');
      const { sizeThreadPool } = require('./src/common/thread-pool');
      const before = readdirSync('/proc/self/task').length;
      sizeThreadPool({ UV_THREADPOOL_SIZE: process.argv[1] });
      require('node:crypto').pbkdf2('x', 'y', 1, 8, 'sha256', () => {
        process.stdout.write(String(readdirSync('/proc/self/task').length - before));
      });`;
    const started = (size: string) =>
      Number(execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script, size], { cwd: `${__dirname}/../..`, encoding: 'utf8' }));
    expect(started('3')).toBe(3);
    expect(started('5')).toBe(5);
  });
});

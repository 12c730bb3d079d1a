// Two projects: unit specs sit beside the code; e2e specs in test/ boot the real app on a
// real database (embedded PGlite by default, the Postgres server when DATABASE_URL or
// TEST_DATABASE_URL is set).
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const onServer = Boolean(process.env.DATABASE_URL || process.env.TEST_DATABASE_URL);
const common = { moduleFileExtensions: ['js', 'json', 'ts'], testEnvironment: 'node', transform };

module.exports = {
  testTimeout: 60000,
  // Jest's default (cores - 1) is one worker on a 2-core machine, but an embedded e2e suite
  // spends much of its time waiting on its PGlite: two workers took that run from 5.3 to 3.2 min
  // here. On a Postgres server two workers were slower (2.0 → 4.2 min): each suite's CREATE
  // DATABASE checkpoints the server, and they queue behind each other.
  ...(onServer ? {} : { maxWorkers: Math.max(2, require('node:os').availableParallelism() - 1) }),
  projects: [
    { ...common, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/test/setup-env.ts'],
      globalSetup: '<rootDir>/test/global-setup.js',
      globalTeardown: '<rootDir>/test/global-teardown.js',
    },
  ],
};

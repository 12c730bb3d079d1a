// The console's end-to-end suite: the real app on a real database (embedded PGlite by default,
// the Postgres server when DATABASE_URL or TEST_DATABASE_URL is set), driven by Debian's
// Chromium through playwright-core. `npm run test:console`; .ci/run installs chromium first.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

module.exports = {
  displayName: 'console',
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  transform,
  testMatch: ['<rootDir>/test/console/**/*.browser-spec.ts'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  testTimeout: 120000,
};

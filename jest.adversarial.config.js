// The long part of the attack suite (test/adversarial/README.md): database outages and restarts
// under load, connections cut mid-rotation, Redis cut away, the timing of user enumeration.
// Run by `npm run test:adversarial` and by .ci/run; the fast part (*.e2e-spec.ts beside these)
// runs in `npm test`. One file at a time: the timing and load cases need the machine to themselves.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

module.exports = {
  testTimeout: 120000,
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  transform,
  rootDir: '.',
  testMatch: ['<rootDir>/test/adversarial/**/*.adv-spec.ts'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  maxWorkers: 1,
};

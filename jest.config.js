// Native ESM Jest (NestJS 12 ships ESM only): ts-jest in ESM mode, transpile-only
// (type-checking is `npm run typecheck`), one throwaway PostgreSQL per run.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/{src,test}/**/*.spec.ts', '<rootDir>/{src,test}/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  maxWorkers: 2,
  // The property suites start a server per run (six, each with a rebuild): alone 15 s, beside
  // another such suite on two busy cores they once passed a minute.
  testTimeout: 120000,
};

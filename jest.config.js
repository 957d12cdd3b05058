/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {'^.+\\.ts$': ['ts-jest', {tsconfig: {module: 'commonjs', moduleResolution: 'node10', isolatedModules: true}}]},
  moduleNameMapper: {'^@oclif/core/(.*)$': '<rootDir>/node_modules/@oclif/core/lib/$1'},
  // Kernel tests create and remove network namespaces; they run one file at a time.
  maxWorkers: 1,
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
}

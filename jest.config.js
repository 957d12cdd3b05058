/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // esbuild, and ts-jest for the files that need jest.mock() hoisted: see the transform's comment.
  transform: {'^.+\\.ts$': '<rootDir>/test/helpers/transform.js'},
  moduleNameMapper: {'^@oclif/core/(.*)$': '<rootDir>/node_modules/@oclif/core/lib/$1'},
  // Files run in parallel: each kernel test file makes its own network namespaces, temporary directories
  // and lock, and none rebuilds dist/ (the package test packs a copy). Much of a kernel test's time is
  // spent waiting (for the kernel to unregister a device, for a child to start), so two workers gain even
  // on one busy core.
  maxWorkers: 2,
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // esbuild, and ts-jest for the files that need jest.mock() hoisted: see the transform's comment.
  transform: {'^.+\\.ts$': '<rootDir>/test/helpers/transform.js'},
  moduleNameMapper: {'^@oclif/core/(.*)$': '<rootDir>/node_modules/@oclif/core/lib/$1'},
  // Files run in parallel: each kernel test file makes its own network namespaces, temporary directories
  // and lock, and none rebuilds dist/ (the package tests pack a copy). The suite is mostly CPU (about 190 s
  // of it, nearly all in the node, ip, shell and packaging processes the tests start), but a kernel test also
  // waits (for the kernel to unregister devices, for a child to start, for lintian): a third worker fills
  // those waits on two cores. Measured in one period on the 2-core machine under the others' load (12-25):
  // old suite with 2 workers 1193 s wall, 285 s CPU; this one with 3 workers 782 s, 191 s CPU.
  maxWorkers: 3,
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
}

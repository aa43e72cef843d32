const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('../tsconfig.base.json');

module.exports = {
  displayName: 'bench',
  preset: '../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // The preset maps the workspace's paths for projects two folders deep; bench is one.
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/../' }),
};

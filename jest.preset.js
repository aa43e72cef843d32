// Shared Jest settings. SWC transpiles TypeScript with decorator metadata (NestJS, TypeORM need it);
// type checking is the `typecheck` target's job, so tests stay fast.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
    // @faker-js/faker 10 and p-retry 9 (with its is-network-error) ship only ES modules. Node 24 require()s
    // them natively (the services' CommonJS build does), Jest's CommonJS runtime does not without
    // --experimental-vm-modules, so SWC rewrites them to CommonJS for tests.
    '^.+/node_modules/(@faker-js/faker|p-retry|is-network-error)/.+\\.js$': [
      '@swc/jest',
      { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@faker-js/faker|p-retry|is-network-error)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/../../' }),
};

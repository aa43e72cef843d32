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
    // @faker-js/faker 10 ships only ES modules. Node 20.19+ require()s them natively, Jest's CommonJS
    // runtime cannot (before Node 24.9), so SWC rewrites faker to CommonJS for tests.
    '^.+/node_modules/@faker-js/faker/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@faker-js/faker/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/../../' }),
};

module.exports = {
  displayName: 'pipeline-e2e',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.integration-spec.ts'],
  testTimeout: 300000,
};

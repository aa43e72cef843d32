module.exports = {
  displayName: 'deploy-docker:integration',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.integration-spec.ts'],
  testTimeout: 180000,
};

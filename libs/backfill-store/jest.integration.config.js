module.exports = {
  displayName: 'backfill-store:integration',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.integration-spec.ts'],
  testTimeout: 60000,
};

module.exports = {
  displayName: 'idempotency-store:integration',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.integration-spec.ts'],
  testTimeout: 60000,
};

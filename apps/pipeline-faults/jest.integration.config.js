module.exports = {
  displayName: 'pipeline-faults',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.integration-spec.ts'],
  testTimeout: 900000,
};

module.exports = {
  displayName: 'postgres-pool',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

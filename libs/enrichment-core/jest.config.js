module.exports = {
  displayName: 'enrichment-core',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

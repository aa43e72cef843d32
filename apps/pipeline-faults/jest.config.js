module.exports = {
  displayName: 'pipeline-faults',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

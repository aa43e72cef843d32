/** The cluster fault test: it starts its own three-node cluster (src/cluster/cluster-stack.ts) and stops it. */
module.exports = {
  displayName: 'pipeline-faults:cluster',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.cluster-spec.ts'],
  testTimeout: 40 * 60_000,
};

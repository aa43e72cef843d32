import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Tags are only worth what their constraints enforce: every tag used in a project.json appears here.
const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
  { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
  { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:ops', onlyDependOnLibsWithTags: ['type:data-access', 'type:util'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
  // An empty "only" list is ignored by Nx, so "depends on nothing of ours" is spelled as a ban on everything.
  { sourceTag: 'scope:contracts', notDependOnLibsWithTags: ['*'] },
  // libs/errors (type:util, scope:shared) is held by these two: it may import only contracts, and every layer may import it.
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared', 'scope:contracts'] },
  {
    sourceTag: 'scope:ingestion',
    onlyDependOnLibsWithTags: ['scope:ingestion', 'scope:shared', 'scope:contracts'],
  },
  {
    sourceTag: 'scope:enrichment',
    onlyDependOnLibsWithTags: ['scope:enrichment', 'scope:shared', 'scope:contracts'],
  },
  {
    sourceTag: 'scope:persistence',
    onlyDependOnLibsWithTags: ['scope:persistence', 'scope:shared', 'scope:contracts'],
  },
  { sourceTag: 'scope:audit', onlyDependOnLibsWithTags: ['scope:audit', 'scope:shared', 'scope:contracts'] },
  {
    sourceTag: 'scope:cli',
    onlyDependOnLibsWithTags: ['scope:cli', 'scope:shared', 'scope:contracts', 'scope:ops'],
  },
  // End-to-end specs compute what Cassandra must hold with enrichment's own function.
  {
    sourceTag: 'scope:e2e',
    onlyDependOnLibsWithTags: ['scope:shared', 'scope:contracts', 'scope:ingestion', 'scope:enrichment'],
  },
  // bench/ measures each stage with the libs the services use (generator, enrichment, the users repository,
  // the audit's store).
  {
    sourceTag: 'scope:bench',
    onlyDependOnLibsWithTags: [
      'scope:shared',
      'scope:contracts',
      'scope:ingestion',
      'scope:enrichment',
      'scope:persistence',
      'scope:audit',
    ],
  },
  // airflow/ and spark-jobs/ are Python: they read libs/contracts/generated/ as files and import no TypeScript project.
  { sourceTag: 'scope:airflow', notDependOnLibsWithTags: ['*'] },
  { sourceTag: 'scope:spark', notDependOnLibsWithTags: ['*'] },
  // The analytics schema's migrations: read by the provisioning of the database (scope:ops) only.
  { sourceTag: 'scope:analytics', notDependOnLibsWithTags: ['*'] },
  {
    sourceTag: 'scope:ops',
    onlyDependOnLibsWithTags: [
      'scope:ops',
      'scope:shared',
      'scope:contracts',
      'scope:audit',
      'scope:analytics',
      // Provisioning runs the migrations of libs/backfill-store, which ingestion owns.
      'scope:ingestion',
    ],
  },
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules',
      '**/dist',
      '**/.nx',
      '.sparkflow/**',
      '**/*.js',
      '**/*.mjs',
      '**/generated/**',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints, banTransitiveDependencies: false },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.integration-spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  prettier,
);

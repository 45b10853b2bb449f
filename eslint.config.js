// ESLint with typescript-eslint's type-aware rules, plus the architecture's layering as import rules:
// a pure core (model -> analysis -> metrics) with sources at the edge; nothing imports upward.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders of src/ a layer must not import from (relative to src/). */
const LAYERS = {
  'src/text/**': ['flags', 'model', 'analysis', 'metrics', 'sources', 'collection', 'server', 'report', 'cli', 'bin', 'logging'],
  'src/platform/os.ts': ['flags', 'model', 'analysis', 'metrics', 'sources', 'collection', 'server', 'report', 'cli', 'bin', 'logging'],
  'src/errors.ts': ['flags', 'model', 'analysis', 'metrics', 'sources', 'collection', 'server', 'report', 'cli', 'bin', 'logging'],
  'src/flags/**': ['model', 'analysis', 'metrics', 'sources', 'collection', 'server', 'report', 'cli', 'bin', 'logging'],
  'src/model/**': ['analysis', 'metrics', 'sources', 'collection', 'server', 'report', 'cli', 'bin', 'logging'],
  'src/analysis/**': ['metrics', 'sources', 'collection', 'server', 'report', 'cli', 'bin', 'logging'],
  'src/metrics/**': ['sources', 'collection', 'server', 'report', 'cli', 'bin'],
  'src/sources/**': ['analysis', 'metrics', 'collection', 'server', 'report', 'cli', 'bin', 'config'],
  'src/collection/**': ['server', 'report', 'cli', 'bin'],
  'src/server/**': ['cli', 'bin', 'report'],
  'src/report/**': ['server', 'cli', 'bin', 'collection'],
  'src/captures/**': ['server', 'cli', 'bin', 'collection'],
  'src/platform/**': ['cli', 'bin', 'server', 'collection', 'analysis', 'metrics', 'report'],
  'src/cli/**': ['bin'],
};

const layerRules = Object.entries(LAYERS).map(([files, forbidden]) => ({
  files: [files],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: forbidden.flatMap((dir) => [`**/${dir}/*`, `**/${dir}/**`]), message: 'imports upward against the layering (see README, Architecture)' },
          ...(files.startsWith('src/sources/') || files.startsWith('src/platform/') ? [] : [{ group: ['koffi'], message: 'only the win32 bindings load koffi' }]),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'build/**', 'coverage/**', 'dashboards/**', 'alerts/**', 'scripts/**/*.mjs', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.check.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // Interface methods are async by contract even where one implementation has nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  ...layerRules,
  {
    // koffi stays in the native layer: portable type definitions and memory readers (tested on Linux),
    // win32 bindings loaded lazily, and the single executable's addon loader. The core never sees it.
    files: ['src/**/*.ts'],
    ignores: ['src/sources/windows/**', 'src/platform/windows/**', 'src/sea/**'],
    rules: { 'no-restricted-syntax': ['error', { selector: "ImportDeclaration[source.value='koffi']", message: 'only the win32 bindings load koffi' }] },
  },
  {
    // Tests may assert on values they just checked exist, and use the Node test helpers loosely.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
  },
);

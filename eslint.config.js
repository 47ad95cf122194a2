import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * The local control plane stands alone: src/local-cluster/ may import only these leaf modules
 * from the rest of src/ (the product side imports it, never the other way round). Entries are
 * regular expressions over the path without `.js`; `formats/...` is the leaf folder of data
 * formats both sides read and write (mongodump archives, the local encrypted object store).
 */
const LOCAL_CLUSTER_MAY_IMPORT = ['errors', 'duration', 'atomic-file', 'pid-lock', 'home', 'package-root', 'kube/types', 'formats/[-a-z0-9]+(/[-a-z0-9]+)*']

/** src/formats/ is itself a leaf: it may import the same leaf modules and its own files, nothing else of src/. */
const FORMATS_MAY_IMPORT = LOCAL_CLUSTER_MAY_IMPORT.filter((entry) => !entry.startsWith('formats/'))

/** One rule per folder depth: a relative import climbing out of src/local-cluster/ names a leaf or fails. */
function localClusterBoundary(depth) {
  const up = '\\.\\./'.repeat(depth + 1)
  const allowed = LOCAL_CLUSTER_MAY_IMPORT.join('|')
  return {
    files: [`src/local-cluster/${'*/'.repeat(depth)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${up}(?!(${allowed})\\.js$)`,
              message: 'src/local-cluster/ imports nothing from the product side but leaf modules (see eslint.config.js).',
            },
          ],
        },
      ],
    },
  }
}

/** One rule per folder depth below src/formats/: climbing out of it must land on a leaf module. */
function formatsBoundary(depth) {
  const up = '\\.\\./'.repeat(depth + 1)
  const allowed = FORMATS_MAY_IMPORT.join('|')
  return {
    files: [`src/formats/${'*/'.repeat(depth)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${up}(?!(${allowed})\\.js$)`,
              message: 'src/formats/ is a leaf folder: it imports only leaf modules (see eslint.config.js), so the local control plane can use it.',
            },
          ],
        },
      ],
    },
  }
}

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly'}},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'no-console': 'error',
    },
  },
  {files: ['test/**', 'bin/**', 'eslint.config.js'], rules: {'no-console': 'off'}},
  {
    // mongosh scripts (database Jobs): mongosh's globals, scripts rather than modules.
    files: ['templates/mongodb/ops/*.js', 'templates/backup/verify/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {db: 'readonly', rs: 'readonly', print: 'readonly', quit: 'readonly', sleep: 'readonly', Mongo: 'readonly', require: 'readonly', process: 'readonly', Buffer: 'readonly'},
    },
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
  ...[0, 1, 2, 3].map(localClusterBoundary),
  ...[0, 1, 2].map(formatsBoundary),
)

// eslint.config.js — the page's lint (CI runs it: tests/meson.build
// 'eslint'): the recommended rules, the browser's globals, and what keeps
// a page that shows untrusted text (job names, log lines) honest.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['node_modules/'] },
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.browser,
    },
    rules: {
      // Text reaches the page through textContent, never as markup.
      'no-restricted-properties': ['error',
        { property: 'innerHTML', message: 'Use textContent: job fields and log lines are untrusted.' },
        { property: 'outerHTML', message: 'Use textContent: job fields and log lines are untrusted.' }],
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: 'Use textContent.' },
        { selector: "CallExpression[callee.object.name='document'][callee.property.name='write']", message: 'Use the DOM.' }],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      'no-var': 'error',
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
];

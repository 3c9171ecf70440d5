// ESLint for the JavaScript that is not C: the web client (browser modules, no build step)
// and the node tests. Run by scripts/check/js.sh (`make check`) with the eslint pinned in
// tests/package.json; eslint's recommended rules, plus the browser's or node's globals.
import { createRequire } from 'node:module';

// The lint tools are installed with the test tools, in tests/node_modules (there is no
// package.json at the root), so resolve them from there.
const require = createRequire(new URL('./tests/package.json', import.meta.url));
const js = require('@eslint/js');
const globals = require('globals');

export default [
  { ignores: ['build*/**', '**/node_modules/**'] },
  js.configs.recommended,
  {
    files: ['web-client/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.browser,
    },
  },
  {
    files: ['tests/**/*.mjs', 'tests/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
    },
  },
];

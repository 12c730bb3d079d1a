#!/usr/bin/env node
'use strict';
// `npx tessera <command>`: the operator CLI, from the compiled build (src/cli/main.ts).
const { existsSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(`tessera: the CLI is not built (no ${entry}): run \`npm run build\` in ${root} first\n`);
  process.exit(1);
}
require(entry);

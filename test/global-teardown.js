const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const root = globalThis.__TESSERA_TEMPLATE_ROOT__;
  if (root) rmSync(root, { recursive: true, force: true });
};

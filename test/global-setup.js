// Runs once per `jest` run, outside the test VM: initialises one empty PGlite data directory
// that every embedded test database starts as a copy of. initdb costs about 5 s; a copy of
// its result, 0.2 s. Plain JS because it runs before any transform.
const { mkdtempSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  const { PGlite } = require('@electric-sql/pglite');
  const root = mkdtempSync(join(tmpdir(), 'tessera-pg-template-'));
  const pgdata = join(root, 'pgdata');
  mkdirSync(pgdata);
  const db = await PGlite.create(pgdata);
  await db.close();
  process.env.TESSERA_TEST_PG_TEMPLATE = pgdata;
  globalThis.__TESSERA_TEMPLATE_ROOT__ = root;
};

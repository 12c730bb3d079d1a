'use strict';
// Run after `npm ci --omit=dev` (docker/Dockerfile's deps stage, and .ci/run, which mirrors it):
// removes the packages that nothing in production needs but npm installs anyway.
//
// npm installs a devDependency in a production install when a production package names it as
// an *optional* peer (npm/cli#6282, #7740): typeorm lists ts-node as one, so `--omit=dev` still
// installs ts-node and TypeScript. `--omit=optional` is no way out: it would also drop the
// prebuilt @node-rs/argon2 binary, an optionalDependency. So this walks the lockfile from the
// root's dependencies along every edge but optional peers (dependencies, optionalDependencies,
// required peerDependencies, resolved the way Node resolves them) and deletes each installed
// package the walk does not reach. A package is never deleted that any reached package
// requires, so nothing the service loads can go missing.
//
// Usage: node prune-optional-peers.js [dir]   (dir: where package-lock.json and node_modules are; default .)

const { existsSync, readdirSync, realpathSync, rmSync, unlinkSync } = require('node:fs');
const { join, posix, resolve: resolvePath } = require('node:path');

const dir = process.argv[2] || '.';
const { packages } = require(resolvePath(dir, 'package-lock.json'));
if (!packages || !packages['']) throw new Error('package-lock.json has no "packages" (lockfileVersion 2 or later is needed)');

/** The lockfile path `name` resolves to from the package at `from`, as Node looks it up. */
function resolve(from, name) {
  for (let base = from; ; ) {
    const candidate = posix.join(base, 'node_modules', name);
    if (packages[candidate]) return candidate;
    if (base === '') return null;
    const up = base.lastIndexOf('/node_modules/');
    base = up === -1 ? '' : base.slice(0, up);
  }
}

const root = packages[''];
const reached = new Set();
const queue = [];
const visit = (from, names) => {
  for (const name of names) {
    const path = resolve(from, name);
    if (path && !reached.has(path)) reached.add(path), queue.push(path);
  }
};
visit('', [...Object.keys(root.dependencies || {}), ...Object.keys(root.optionalDependencies || {})]);
while (queue.length) {
  const path = queue.shift();
  const pkg = packages[path];
  const meta = pkg.peerDependenciesMeta || {};
  const requiredPeers = Object.keys(pkg.peerDependencies || {}).filter((name) => !(meta[name] && meta[name].optional));
  visit(path, [...Object.keys(pkg.dependencies || {}), ...Object.keys(pkg.optionalDependencies || {}), ...requiredPeers]);
}

const removed = [];
for (const path of Object.keys(packages)) {
  if (path === '' || reached.has(path) || packages[path].link) continue;
  const target = join(dir, path);
  if (!existsSync(target)) continue;
  rmSync(target, { recursive: true, force: true });
  removed.push(path.replace(/^node_modules\//, ''));
}
// Command shims (node_modules/.bin) of what went.
const bin = join(dir, 'node_modules', '.bin');
if (existsSync(bin)) {
  for (const entry of readdirSync(bin)) {
    try {
      realpathSync(join(bin, entry));
    } catch {
      unlinkSync(join(bin, entry));
    }
  }
}
process.stdout.write(
  removed.length
    ? `prune-optional-peers: removed ${removed.length} package(s) only optional peers lead to: ${removed.join(', ')}\n`
    : 'prune-optional-peers: nothing to remove\n',
);

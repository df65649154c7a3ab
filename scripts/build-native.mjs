// Builds the native C++ backend (native/) during `npm install` / `npm ci`.
//
// This script must never fail the install (issue 5): a machine without a compiler, or with a
// broken toolchain, still gets a working toolkit on the TypeScript backend. Every failure path
// prints one line and exits 0.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const product = join(root, 'build', 'Release', 'skiplab_native.node');

function unavailable(reason) {
  console.log(`skiplab: native backend unavailable (${reason}) — using the WebAssembly backend`);
  process.exit(0);
}

function main() {
  if (process.env.SKIPLAB_SKIP_NATIVE_BUILD === '1') unavailable('SKIPLAB_SKIP_NATIVE_BUILD=1');
  if (!existsSync(join(nativeDir, 'binding.gyp'))) unavailable('native/binding.gyp is missing');
  const require = createRequire(import.meta.url);
  let nodeGyp;
  try {
    nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
    require.resolve('node-addon-api');
  } catch {
    unavailable('node-gyp or node-addon-api is not installed');
  }
  // The headers of the running Node (…/include/node) sit beside its binary: pointing node-gyp
  // at them means it never tries to download headers (no network needed).
  const nodeDir = resolve(dirname(process.execPath), '..');
  if (!existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) {
    unavailable(`Node headers not found under ${nodeDir}/include/node`);
  }
  // A stale addon from an earlier build must not outlive a failed rebuild of newer sources.
  rmSync(product, { force: true });
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '--directory', nativeDir, '--jobs', 'max', '--release'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, npm_config_nodedir: nodeDir } },
  );
  if (result.error) unavailable(`node-gyp did not start: ${result.error.message}`);
  if (result.status !== 0) {
    const lines = `${result.stderr ?? ''}\n${result.stdout ?? ''}`.split('\n').map((l) => l.trim());
    const hint = lines.find((l) => /error/i.test(l) && !/gyp ERR! (stack|cwd|node -v|node-gyp -v|System|command|not ok)/.test(l)) ?? `exit code ${result.status}`;
    unavailable(`compile failed: ${hint.slice(0, 160)}`);
  }
  const built = join(nativeDir, 'build', 'Release', 'skiplab_native.node');
  if (!existsSync(built)) unavailable('the compiler produced no skiplab_native.node');
  mkdirSync(dirname(product), { recursive: true });
  copyFileSync(built, product);
  rmSync(join(nativeDir, 'build'), { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`skiplab: native backend built in ${seconds} s (${product})`);
}

try {
  main();
} catch (error) {
  unavailable(error instanceof Error ? error.message.split('\n')[0] : String(error));
}

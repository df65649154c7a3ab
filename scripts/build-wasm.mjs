// Compile the AssemblyScript kernels in wasm/assembly/ to src/backend/wasm/kernels.wasm (a build
// product, git-ignored) and copy it next to the compiled loader in dist/, where the loader finds
// it through `new URL('./kernels.wasm', import.meta.url)` (bundlers follow that pattern too).
// SIMD128 on, -O3; the runtime is the stub (the kernels never allocate: JavaScript owns memory).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = resolve(root, 'wasm/assembly/index.ts');
const output = resolve(root, 'src/backend/wasm/kernels.wasm');

const { error, stderr } = await asc.main([
  entry,
  '--outFile', output,
  '-O3',
  '--enable', 'simd',
  '--runtime', 'stub',
  '--noAssert',
  '--initialMemory', '1',
]);
if (error) {
  console.error(`build-wasm: compiling ${entry} failed: ${error.message}\n${stderr.toString()}`);
  process.exit(1);
}
const distCopy = resolve(root, 'dist/src/backend/wasm/kernels.wasm');
mkdirSync(dirname(distCopy), { recursive: true });
copyFileSync(output, distCopy);
console.log(`build-wasm: wrote ${output} and ${distCopy}`);

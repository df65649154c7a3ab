// Compile the AssemblyScript kernels in wasm/assembly/ to src/backend/wasm/*.wasm (build
// products, git-ignored) and copy it next to the compiled loader in dist/, where the loader finds
// it through `new URL('./kernels.wasm', import.meta.url)` (bundlers follow that pattern too).
// SIMD128 on, -O3; the runtime is the stub (the kernels never allocate: JavaScript owns memory).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = resolve(root, 'wasm/assembly/index.ts');

// Two builds of the same source: kernels.wasm owns its (growable, non-shared) memory and runs
// everywhere; kernels-threads.wasm imports a shared memory (maximum 4 GiB, so growth never moves
// it) that worker threads instantiate the same module over (src/backend/wasm/threads.ts).
const builds = [
  { file: 'kernels.wasm', flags: ['--enable', 'simd', '--initialMemory', '1'] },
  {
    file: 'kernels-threads.wasm',
    flags: ['--enable', 'simd,threads', '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536'],
  },
];
for (const { file, flags } of builds) {
  const output = resolve(root, 'src/backend/wasm', file);
  const { error, stderr } = await asc.main([entry, '--outFile', output, '-O3', '--runtime', 'stub', '--noAssert', ...flags]);
  if (error) {
    console.error(`build-wasm: compiling ${entry} to ${file} failed: ${error.message}\n${stderr.toString()}`);
    process.exit(1);
  }
  const distCopy = resolve(root, 'dist/src/backend/wasm', file);
  mkdirSync(dirname(distCopy), { recursive: true });
  copyFileSync(output, distCopy);
  console.log(`build-wasm: wrote ${output} and ${distCopy}`);
}

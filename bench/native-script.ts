/** What the stand-alone native benchmark scripts share: the backend (or a one-line exit) and a CPU clock. */
import type { Backend } from '../src/backend/backend.js';
import { loadNativeBackend } from '../src/backend/native/index.js';

/** The native backend; without the addon the script says how to build it and exits 0. */
export function nativeOrExit(): Backend {
  const native = loadNativeBackend();
  if (!native) {
    console.log('native backend not built: run node scripts/build-native.mjs');
    process.exit(0);
  }
  return native;
}

/** Process CPU time (user + system, all threads) in milliseconds: robust on a shared machine. */
export function processCpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

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

/**
 * `backend` with every kernel call charged its process CPU time: `charge(name, args, ms)` runs
 * after each call (describe and alloc are not kernels and pass through).
 */
export function cpuChargedBackend(backend: Backend, charge: (name: string, args: readonly unknown[], ms: number) => void): Backend {
  const charged: Record<string, unknown> = { ...backend };
  for (const [name, value] of Object.entries(backend)) {
    if (typeof value !== 'function' || name === 'describe' || name === 'alloc') continue;
    charged[name] = (...args: unknown[]) => {
      const start = processCpuMs();
      const result = (value as (...a: unknown[]) => unknown)(...args);
      charge(name, args, processCpuMs() - start);
      return result;
    };
  }
  return charged as unknown as Backend;
}

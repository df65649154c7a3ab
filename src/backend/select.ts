import type { Backend, BackendName } from './backend.js';
import { typescriptBackend } from './ts/index.js';
import { loadWasmBackend } from './wasm/index.js';
import { loadNativeBackend, nativeUnavailableReason } from './native/index.js';

/**
 * Backend selection. The TypeScript reference backend is always there; faster ones register
 * themselves (see `registerBackend`) and are preferred in the order native → wasm → ts unless
 * SKIPLAB_BACKEND forces one (DESIGN.md decision 2).
 */
const registered = new Map<BackendName, () => Backend | null>([
  ['ts', () => typescriptBackend],
  // WebAssembly SIMD: compiled once on first use in Node; in the browser after initWasmBackend().
  ['wasm', loadWasmBackend],
  ['native', loadNativeBackend],
]);
let current: Backend | null = null;

/** Make a backend available; `load` returns null when it cannot run here. */
export function registerBackend(name: BackendName, load: () => Backend | null): void {
  registered.set(name, load);
}

function requestedName(): string | undefined {
  const env = typeof process !== 'undefined' ? process.env?.SKIPLAB_BACKEND : undefined;
  return env && env.length > 0 ? env : undefined;
}

/**
 * The backend kernels run on: the first of native, wasm, ts that loads here, unless `SKIPLAB_BACKEND` or `setBackend` chose one.
 */
export function getBackend(): Backend {
  if (current) return current;
  const forced = requestedName();
  if (forced) {
    const load = registered.get(forced as BackendName);
    if (!load) throw new Error(`SKIPLAB_BACKEND=${forced}: unknown backend (choose ts, wasm or native)`);
    const backend = load();
    if (!backend) throw new Error(`SKIPLAB_BACKEND=${forced}: that backend is not available on this machine`);
    current = backend;
    return current;
  }
  current = (['native', 'wasm', 'ts'] as const).map((name) => registered.get(name)?.()).find((b) => b) ?? typescriptBackend;
  // Say once, in one line, why training will be slower than it could be.
  const reason = current.name === 'native' ? null : nativeUnavailableReason();
  if (reason && typeof process !== 'undefined') {
    process.stderr?.write(`skiplab: native backend unavailable (${reason}) — using the ${current.name === 'wasm' ? 'WebAssembly' : 'TypeScript'} backend\n`);
  }
  return current;
}

/** Use `backend` (or the registered backend of that name) from now on. */
export function setBackend(backend: Backend | BackendName): Backend {
  if (typeof backend === 'string') {
    const load = registered.get(backend);
    const loaded = load?.();
    if (!loaded) throw new Error(`setBackend: backend '${backend}' is not available on this machine`);
    current = loaded;
  } else {
    current = backend;
  }
  return current;
}

/** The backends that load on this machine (`ts` always; `wasm` after `initWasmBackend` in a browser). */
export function availableBackends(): BackendName[] {
  return [...registered.keys()].filter((n) => registered.get(n)?.() != null);
}

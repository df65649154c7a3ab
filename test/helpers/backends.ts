import type { Backend, BackendName } from '../../src/backend/backend.js';
import { nativeUnavailableReason } from '../../src/backend/native/index.js';
import { availableBackends, setBackend } from '../../src/backend/select.js';
import { typescriptBackend } from '../../src/backend/ts/index.js';
import { wasmUnavailableReason } from '../../src/backend/wasm/index.js';

/**
 * Whether the suite runs in CI (`CI=true`, as `.ci/run` is started). A user's machine without a
 * compiler skips the native tests (the install must still succeed, so scripts/build-native.mjs
 * exits 0 on a failed build); CI builds every backend, so there a missing one is a failure,
 * not a silent skip — the same rule as the Redis guard of the queue tests.
 */
export const inCi = ['true', '1', 'yes'].includes((process.env.CI ?? '').toLowerCase());

const unavailableReasons: Record<Exclude<BackendName, 'ts'>, () => string | null> = {
  native: nativeUnavailableReason,
  wasm: wasmUnavailableReason,
};

/** Throw (failing the test file) when CI runs with any backend of `available` missing. */
function requireBackendsInCi(available: Partial<Record<Exclude<BackendName, 'ts'>, boolean>>): void {
  if (!inCi) return;
  const missing = (Object.keys(available) as Exclude<BackendName, 'ts'>[]).filter((name) => !available[name]);
  if (missing.length === 0) return;
  const reasons = missing.map((name) => `the ${name} backend is unavailable (${unavailableReasons[name]() ?? 'not available'})`);
  throw new Error(`CI=true but ${reasons.join(' and ')}: a broken build must fail CI, not skip its tests`);
}

/** The CI check for one backend; returns whether it is available, so outside CI a file can skip it. */
export function requireBackendInCi(name: Exclude<BackendName, 'ts'>, available: boolean): boolean {
  requireBackendsInCi({ [name]: available });
  return available;
}

/**
 * Every backend that can run on this machine (the TypeScript reference always can); in CI the
 * native and wasm backends must be among them.
 */
export function backendsUnderTest(): Backend[] {
  const names = availableBackends();
  requireBackendsInCi({ native: names.includes('native'), wasm: names.includes('wasm') });
  const backends = names.map((name) => setBackend(name));
  setBackend(typescriptBackend);
  return backends;
}

/** Run `fn` with `backend` active, restoring the reference backend afterwards. */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  setBackend(backend);
  try {
    return fn();
  } finally {
    setBackend(typescriptBackend);
  }
}

/** Max |a − b| / max(1, |b|) over all elements. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs expected ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

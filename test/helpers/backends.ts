import type { Backend } from '../../src/backend/backend.js';
import { availableBackends, setBackend } from '../../src/backend/select.js';
import { typescriptBackend } from '../../src/backend/ts/index.js';

/** Every backend that can run on this machine (the TypeScript reference always can). */
export function backendsUnderTest(): Backend[] {
  const backends = availableBackends().map((name) => setBackend(name));
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

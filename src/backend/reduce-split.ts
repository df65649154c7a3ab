import type { Shape } from './backend.js';

/**
 * When the reduced axes are contiguous, x is (outer, reduced, inner) and every backend can use a
 * plain strided loop; null means the axes are scattered and the general path is needed.
 */
export function contiguousSplit(xShape: Shape, axes: readonly number[]): { outer: number; reduced: number; inner: number } | null {
  const sorted = [...axes].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]! + 1) return null;
  const first = sorted[0] ?? 0;
  const last = sorted[sorted.length - 1] ?? -1;
  let outer = 1;
  let reduced = 1;
  let inner = 1;
  for (let i = 0; i < xShape.length; i++) {
    if (i < first) outer *= xShape[i]!;
    else if (i <= last) reduced *= xShape[i]!;
    else inner *= xShape[i]!;
  }
  return { outer, reduced, inner };
}

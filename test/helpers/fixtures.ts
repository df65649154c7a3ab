import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../src/backend/backend.js';

/**
 * Readers for the PyTorch reference fixtures in `test/fixtures/` (made by the scripts in
 * `scripts/fixtures/`, so the tests themselves never need PyTorch).
 */

export interface FixtureTensor {
  readonly shape: number[];
  readonly data: number[];
}

export interface FixtureCase<P> {
  readonly name: string;
  readonly params: P;
  readonly tensors: Readonly<Record<string, FixtureTensor>>;
}

interface FixtureFile<P> {
  readonly family: string;
  readonly cases: FixtureCase<P>[];
}

const fixtureRoot = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The cases of `test/fixtures/<file>`, a fixture file of `family`. */
export function loadFixtureCases<P>(file: string, family: string): FixtureCase<P>[] {
  const path = `${fixtureRoot}${file}`;
  const contents = JSON.parse(readFileSync(path, 'utf8')) as FixtureFile<P>;
  if (contents.family !== family || !Array.isArray(contents.cases) || contents.cases.length === 0) {
    throw new Error(`${path}: expected a non-empty "cases" list for family '${family}'`);
  }
  return contents.cases;
}

/** The cases of `test/fixtures/kernels/<family>.json`. */
export function loadKernelFixtures<P>(family: string): FixtureCase<P>[] {
  return loadFixtureCases<P>(`kernels/${family}.json`, family);
}

/** One named tensor of a case; a missing name is an error that names the case. */
export function fixtureTensor(c: FixtureCase<unknown>, key: string): FixtureTensor {
  const t = c.tensors[key];
  if (!t) throw new Error(`fixture '${c.name}' has no tensor '${key}' (has ${Object.keys(c.tensors).join(', ')})`);
  return t;
}

export function hasTensor(c: FixtureCase<unknown>, key: string): boolean {
  return c.tensors[key] !== undefined;
}

/** The tensor's values copied into an array allocated by `backend`. */
export function fixtureArray(backend: Backend, c: FixtureCase<unknown>, key: string): Float32Array {
  const t = fixtureTensor(c, key);
  const out = backend.alloc(t.data.length);
  out.set(t.data);
  return out;
}

export function fixtureInt32(c: FixtureCase<unknown>, key: string): Int32Array {
  return Int32Array.from(fixtureTensor(c, key).data);
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

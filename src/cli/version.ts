import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in skiplab's own package.json. This file runs from src/cli/ (tsx) and from
 * dist/src/cli/ (the installed package), so the nearest package.json named skiplab above it is
 * the one: read, not imported, so the build does not copy package.json into dist/.
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'skiplab' && typeof manifest.version === 'string') return manifest.version;
    }
    dir = dirname(dir);
  }
  throw new Error(`skiplab: no package.json named skiplab above ${fileURLToPath(import.meta.url)}`);
}

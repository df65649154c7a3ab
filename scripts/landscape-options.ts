// Judge the landscape preset's raw slices (written by `preset-sweep.ts --out dir`) under several
// slice statistics and slice settings, without training again: one line per statistic, setting
// and seed, with the paired interval over directions and the verdict it gives. This is how the
// preset's statistic and settings are compared across seeds (web/README.md records the table).
// Usage: tsx scripts/landscape-options.ts dir [dir…]
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sliceNonConvexity, sliceRoughness } from '../web/src/preset-checks.js';
import type { RunResults } from '../web/src/run-results.js';
import { formatInterval, judge, pairedDifference } from '../web/src/verdict.js';

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

interface Saved { seed: number; overrides: Record<string, number>; results: RunResults[] }

/** A per-slice statistic (higher = rougher) and the smallest plain − residual difference that counts. */
const statistics: { name: string; perSlice: (alphas: number[], losses: number[]) => number; minimumEffect: number }[] = [
  { name: 'roughness', perSlice: sliceRoughness, minimumEffect: 0.03 },
  { name: 'rough share', perSlice: (a, l) => (sliceRoughness(a, l) > 0.01 ? 1 : 0), minimumEffect: 0.25 },
  { name: 'non-convexity', perSlice: sliceNonConvexity, minimumEffect: 0.1 },
  { name: 'log non-convexity', perSlice: (a, l) => sliceNonConvexity(a, l.map(Math.log10)), minimumEffect: 0.1 },
];

/** Every `every`-th point of the first `directions` slices: the slices a coarser setting would have cut. */
function subsample(alphas: number[], losses: number[][], directions: number, every: number): { alphas: number[]; losses: number[][] } {
  const keep = (v: number[]): number[] => v.filter((_, i) => i % every === 0);
  return { alphas: keep(alphas), losses: losses.slice(0, directions).map(keep) };
}

for (const dir of process.argv.slice(2)) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const saved = JSON.parse(readFileSync(resolve(dir, file), 'utf8')) as Saved;
    const [residual, plain] = saved.results.map((r) => r.landscape!);
    if (!residual || !plain) throw new Error(`landscape-options: ${file} lacks a run's slices`);
    const settings = Object.entries(saved.overrides).map(([k, v]) => `${k}=${v}`).join(',') || 'page';
    const total = residual.losses.length;
    for (const directions of [Math.min(8, total), total].filter((d, i, all) => all.indexOf(d) === i)) {
      // Every other point only where that still leaves the page's 11 (21 → 11), never coarser.
      for (const every of [2, 1].filter((e) => e === 1 || ((residual.alphas.length - 1) % e === 0 && (residual.alphas.length - 1) / e >= 10))) {
        const r = subsample(residual.alphas, residual.losses, directions, every);
        const p = subsample(plain.alphas, plain.losses, directions, every);
        for (const s of statistics) {
          const rr = r.losses.map((l) => s.perSlice(r.alphas, l));
          const pr = p.losses.map((l) => s.perSlice(p.alphas, l));
          const effect = pairedDifference(pr, rr);
          console.log([settings, `seed ${saved.seed}`, `${directions} dirs`, `${r.alphas.length} pts`, s.name,
            `residual ${mean(rr).toFixed(3)}`, `plain ${mean(pr).toFixed(3)}`, formatInterval(effect, 3), judge(effect, s.minimumEffect)].join('\t'));
        }
      }
    }
  }
}

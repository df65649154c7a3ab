import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerModelsCommand } from '../../src/cli/commands/models.js';
import { modelCatalog } from '../../src/models/catalog.js';
import { createModel } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';

async function run(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerModelsCommand(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'skiplab', 'models', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('skiplab models', () => {
  it('catalog counts equal those of really initialised models', () => {
    for (const name of ['resnet20', 'densenet_bc_40', 'highway_fc']) {
      const [entry] = modelCatalog([name]);
      expect(entry!.parameters).toBe(createModel(name, { rng: new Rng(3) }).parameterCount());
      expect(entry!.plainParameters).toBe(createModel(name, { rng: new Rng(3), skip: 'none' }).parameterCount());
    }
  });

  it('prints a table with the plain twin, published count and skip kinds', async () => {
    const out = await run('resnet20', 'resnet18');
    const resnet20 = out.split('\n').find((l) => l.startsWith('resnet20'))!;
    expect(resnet20).toMatch(/269,722\s+269,722\s+~0\.27M\s+7 identity, 2 zero-pad/);
    expect(out.split('\n').find((l) => l.startsWith('resnet18'))).toMatch(/11,689,512\s+11,515,688\s+11,689,512\s+5 identity, 3 projection/);
  });

  it('prints JSON with --json', async () => {
    const entries = JSON.parse(await run('highway_fc', '--json')) as { name: string; parameters: number; plainParameters: number; skipEdges: Record<string, number> }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]!.name).toBe('highway_fc');
    expect(entries[0]!.skipEdges).toEqual({ gated: 9 });
    expect(entries[0]!.parameters - entries[0]!.plainParameters).toBe(9 * (50 * 50 + 50)); // the gates
  });

  it('--match-twins adds the plain twin widened to the model\'s parameter count (DenseNet-BC-100: 769k against a plain twin of 298k)', async () => {
    const out = await run('densenet_bc_100', 'resnet20', '--match-twins');
    expect(out.split('\n')[0]).toMatch(/plain twin\s+matched twin\s+published/);
    const dense = out.split('\n').find((l) => l.startsWith('densenet_bc_100'))!;
    const [, k, parameters] = /growthRate (\d+): ([\d,]+)/.exec(dense)!;
    expect(Number(k)).toBeGreaterThan(12);
    expect(Math.abs(Number(parameters!.replaceAll(',', '')) / createModel('densenet_bc_100', { rng: new Rng(0) }).parameterCount() - 1)).toBeLessThan(0.05);
    expect(out.split('\n').find((l) => l.startsWith('resnet20'))).toMatch(/269,722\s+269,722\s+-\s+~0\.27M/); // option A adds no parameters: nothing to match
    const [entry] = JSON.parse(await run('highway_fc', '--match-twins', '--json')) as { matchedTwin: { option: string; value: number } }[];
    expect(entry!.matchedTwin).toMatchObject({ option: 'width', from: 50, value: 63 }); // depth 10
  });

  it('names an unknown model', async () => {
    await expect(run('resnet21')).rejects.toThrow(/unknown model 'resnet21'/);
  });
});

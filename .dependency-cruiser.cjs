/**
 * The layering of DESIGN.md as dependency-cruiser rules: a folder may import only from its own
 * layer and the layers listed before it. `npm test` runs this (test/layering.test.ts).
 */
const layers = [
  ['tensor', 'backend'],
  ['autograd'],
  ['nn'],
  ['blocks'],
  ['models'],
  ['io', 'data'],
  ['optim'],
  ['train'],
  ['analysis'],
  ['experiments'],
  ['report', 'cli', 'web'],
];

const folder = (name) => `^src/${name}/`;
const forbidden = layers.flatMap((own, index) => {
  const above = layers.slice(index + 1).flat();
  if (above.length === 0) return [];
  return own.map((name) => ({
    name: `${name}-imports-upward`,
    comment: `src/${name} sits below ${above.join(', ')} and must not import from them`,
    severity: 'error',
    from: { path: folder(name) },
    to: { path: `^src/(${above.join('|')})/` },
  }));
});

// Kernels see typed arrays and shapes, never Tensor (STYLE.md).
forbidden.push({
  name: 'backend-imports-tensor',
  comment: 'src/backend must not know about Tensor',
  severity: 'error',
  from: { path: '^src/backend/' },
  to: { path: '^src/tensor/' },
});
forbidden.push({
  name: 'no-circular',
  comment: 'import cycles make load order fragile',
  severity: 'error',
  from: {},
  to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

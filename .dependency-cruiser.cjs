/**
 * The layering of DESIGN.md as dependency-cruiser rules: a folder may import only from its own
 * layer and the layers listed before it. `npm test` runs this over `src/` and `web/src/`
 * (test/layering.test.ts).
 */
const layers = [
  ['util'],
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
  ['report', 'cli'],
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

// The browser lab is a top layer beside report and cli: it may use the library up to analysis,
// but nothing that runs experiments, writes reports or parses the command line (those are
// Node-side), and nothing in src/ may use it.
forbidden.push({
  name: 'web-imports-node-layers',
  comment: 'web/ runs in the browser: it may import src/ up to analysis, not experiments, report or cli',
  severity: 'error',
  from: { path: '^web/' },
  to: { path: '^src/(experiments|report|cli)/' },
});
forbidden.push({
  name: 'web-imports-node-builtins',
  comment: 'web/ runs in the browser: no Node built-in module may be reachable from it (the safetensors codec, not the file reader)',
  severity: 'error',
  from: { path: '^web/src/' },
  to: { path: '^(node:)?(fs|path|os|child_process|crypto|url|zlib|module|worker_threads|net|events|stream|util|process)', reachable: true },
});
forbidden.push({
  name: 'src-imports-web',
  comment: 'the library does not depend on the browser lab',
  severity: 'error',
  from: { path: '^src/' },
  to: { path: '^web/' },
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

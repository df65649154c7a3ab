/**
 * The network as a row of boxes (stem layers, skip blocks, head) with each skip edge from
 * `model.skips()` drawn as an arc over the block it bypasses, coloured by kind. The plain twin's
 * removed skips (kind 'none') are dashed grey, so the two runs line up edge by edge.
 */
import { MAX_SCALE } from './charts.js';
import type { ModelDescription } from './protocol.js';

const SVG = 'http://www.w3.org/2000/svg';

export const SKIP_COLORS: Record<string, string> = {
  identity: '#1b7f5f',
  'zero-pad': '#2b8cbe',
  projection: '#7b3294',
  gated: '#d95f02',
  concat: '#c51b7d',
  none: '#9a9a9a',
};

function element<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function drawDiagram(svg: SVGSVGElement, model: ModelDescription, lesioned: string | null): void {
  const width = 420;
  const height = 132;
  const left = 8;
  const n = model.nodes.length;
  const slot = (width - 2 * left) / Math.max(n, 1);
  const boxY = 62;
  const boxH = 24;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.style.maxWidth = `${Math.round(width * MAX_SCALE)}px`;
  const real = model.edges.filter((e) => e.kind !== 'none').length;
  svg.append(element('title', {}, `${model.title}: ${n} stages, ${real} skip connection${real === 1 ? '' : 's'}`));

  const centers = new Map<string, number>();
  model.nodes.forEach((node, i) => {
    const x = left + i * slot;
    centers.set(node.path, x + slot / 2);
    if (i > 0) svg.append(element('line', { x1: x - slot * 0.1, x2: x + slot * 0.1, y1: boxY + boxH / 2, y2: boxY + boxH / 2, class: 'diagram-wire' }));
    const isBlock = model.edges.some((e) => e.block === node.path);
    const box = element('rect', {
      x: x + slot * 0.1, y: boxY, width: slot * 0.8, height: boxH, rx: 3,
      class: `diagram-box${isBlock ? ' block' : ''}${node.path === lesioned ? ' lesioned' : ''}`, 'data-path': node.path,
    });
    box.append(element('title', {}, node.path));
    svg.append(box);
    // A label such as 'layer1.0' is about 44 units wide: narrower slots turn their labels.
    const label = element('text', { x: x + slot / 2, y: boxY + boxH + 12, class: 'diagram-label', 'text-anchor': slot < 46 ? 'end' : 'middle' }, node.label);
    if (slot < 46) label.setAttribute('transform', `rotate(-40 ${x + slot / 2} ${boxY + boxH + 12})`);
    svg.append(label);
  });

  for (const edge of model.edges) {
    const center = centers.get(edge.block);
    if (center === undefined) continue;
    // The skip carries the block's input around it: from its left wire to its right wire.
    const x1 = center - slot * 0.5;
    const x2 = center + slot * 0.5;
    const rise = Math.min(40, 14 + slot * 0.5);
    const d = `M${x1},${boxY} C${x1},${boxY - rise} ${x2},${boxY - rise} ${x2},${boxY}`;
    const path = element('path', {
      d, fill: 'none', stroke: SKIP_COLORS[edge.kind] ?? '#444', 'stroke-width': edge.kind === 'none' ? 1.2 : 2,
      class: `skip-edge kind-${edge.kind}`, ...(edge.kind === 'none' ? { 'stroke-dasharray': '3 3' } : {}),
    });
    path.append(element('title', {}, `${edge.kind === 'none' ? 'removed skip' : `${edge.kind} skip`} around ${edge.block}`));
    svg.append(path);
  }
  const kinds = [...new Set(model.edges.map((e) => e.kind))];
  kinds.forEach((kind, i) => {
    svg.append(element('line', { x1: left + i * 110, x2: left + i * 110 + 18, y1: 10, y2: 10, stroke: SKIP_COLORS[kind] ?? '#444', 'stroke-width': 2, ...(kind === 'none' ? { 'stroke-dasharray': '3 3' } : {}) }));
    svg.append(element('text', { x: left + i * 110 + 22, y: 14, class: 'legend' }, kind === 'none' ? 'skip removed' : `${kind} skip`));
  });
  if (kinds.length === 0) svg.append(element('text', { x: left, y: 14, class: 'legend' }, 'no skip connections in this architecture'));
}

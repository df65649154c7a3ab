import { describe, expect, it, vi } from 'vitest';
import { codeBlock, figureBlock, imageBlock, paragraphBlock, renderReport, ReportError, tableBlock, type ReportOptions } from '../../src/report/html.js';
import { lineChart } from '../../src/report/plots.js';
import { pngDataUrl } from '../../src/report/png.js';

const generatedAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

async function sampleOptions(): Promise<ReportOptions> {
  const svg = await lineChart({ title: 'Error', xLabel: 'epoch', yLabel: 'error', series: [{ name: 'plain-20', points: [{ x: 1, y: 0.5 }, { x: 2, y: 0.3 }] }] });
  const image = pngDataUrl({ width: 2, height: 2, channels: 1, data: new Uint8Array([0, 255, 255, 0]) });
  return {
    title: 'Degradation <script>alert(1)</script>',
    subtitle: 'Fashion-MNIST & "quick"',
    generatedAt,
    meta: [{ label: 'backend', value: 'native' }],
    sections: [
      {
        id: 'degradation', title: 'Plain <b>vs</b> residual', conclusion: 'plain-56 ends at 12 % vs <i>8 %</i>',
        blocks: [figureBlock(svg, 'Training error per epoch'), tableBlock(['model', 'error'], [['plain-20', '12.0 %'], ['<img src=x>', 0.5]], { caption: 'Final errors' })],
      },
      { id: 'gradient-flow', title: 'Gradient flow', blocks: [paragraphBlock('Use `skiplab experiment` <now>.'), codeBlock('{"lr": 0.1}', { caption: 'config', collapsed: true })] },
      { id: 'unet-skips', title: 'Masks', blocks: [imageBlock(image, 'a 2×2 mask', { caption: 'mask', pixelated: true, width: 64 })] },
    ],
  };
}

describe('renderReport', () => {
  it('escapes every piece of user text', async () => {
    const html = renderReport(await sampleOptions());
    expect(html).not.toContain('<script');
    expect(html).toContain('<title>Degradation &lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(html).toContain('Plain &lt;b&gt;vs&lt;/b&gt; residual');
    expect(html).toContain('&lt;i&gt;8 %&lt;/i&gt;');
    expect(html).toContain('&lt;img src=x&gt;');
    expect(html).toContain('Fashion-MNIST &amp; &quot;quick&quot;');
    expect(html).toContain('<code>skiplab experiment</code> &lt;now&gt;.');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<i>');
  });

  it('links the table of contents to every section id', async () => {
    const options = await sampleOptions();
    const html = renderReport(options);
    const nav = html.slice(html.indexOf('<nav'), html.indexOf('</nav>'));
    const links = [...nav.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
    expect(links).toEqual(options.sections.map((s) => s.id));
    for (const section of options.sections) expect(html).toContain(`<section class="report-section" id="${section.id}"`);
  });

  it('is self-contained: no scripts, no external resources, no URLs at all', async () => {
    const html = renderReport(await sampleOptions());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|@font-face|url\((?!#)/);
    for (const src of html.matchAll(/\ssrc="([^"]*)"/g)) expect(src[1]).toMatch(/^data:image\/png;base64,/);
    expect(html).toContain('<svg');
  });

  it('has accessible structure: one h1, section headings, captions, th cells, alt text', async () => {
    const html = renderReport(await sampleOptions());
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html.match(/<h2 id="[a-z-]+-heading"><span class="section-number">/g)).toHaveLength(3);
    expect(html).toContain('<figcaption><span class="label">Figure 1.</span> Training error per epoch</figcaption>');
    expect(html).toContain('<caption><span class="label">Table 1.</span> Final errors</caption>');
    expect(html).toContain('<th scope="col">model</th>');
    expect(html).toContain('alt="a 2×2 mask"');
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*><title id=/);
    expect(html).toContain('<time datetime="2026-01-02T03:04:05.000Z">2026-01-02 03:04 UTC</time>');
  });

  it('gives byte-identical HTML for the same inputs at another time, time zone and random state', async () => {
    const options = await sampleOptions();
    const a = renderReport(options);
    // Nothing but the inputs may reach the page: not the clock, the local time zone or Math.random.
    const zone = process.env.TZ;
    vi.useFakeTimers();
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.123456);
    try {
      vi.setSystemTime(new Date(Date.UTC(2041, 5, 7, 8, 9, 10)));
      process.env.TZ = 'Pacific/Chatham';
      expect(renderReport(options)).toBe(a);
    } finally {
      random.mockRestore();
      vi.useRealTimers();
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    expect(a).toContain('2026-01-02 03:04 UTC');
  });

  it('right-aligns numeric columns', () => {
    const html = renderReport({ title: 'T', generatedAt, sections: [{ id: 's', title: 'S', blocks: [tableBlock(['model', 'params', 'error'], [['a', 1200, '12.5 %'], ['b', 33, '1e-3']])] }] });
    expect(html).toContain('<th scope="col" class="number">params</th>');
    expect(html).toContain('<td class="number">12.5 %</td>');
    expect(html).toContain('<th scope="col">model</th>');
  });

  it('rejects bad ids, duplicate ids, unsafe SVG and non-PNG images with a clear message', async () => {
    const base = { title: 'T', generatedAt };
    const section = (id: string, blocks: ReportOptions['sections'][number]['blocks'] = []) => ({ id, title: id, blocks });
    expect(() => renderReport({ ...base, sections: [section('Bad Id')] })).toThrow(/id "Bad Id" must be lowercase/);
    expect(() => renderReport({ ...base, sections: [section('toc')] })).toThrow(/reserved/);
    expect(() => renderReport({ ...base, sections: [section('a'), section('a')] })).toThrow(/two sections have the id "a"/);
    expect(() => renderReport({ ...base, sections: [section('a', [figureBlock('<svg><script>x()</script></svg>', 'c')])] })).toThrow(ReportError);
    expect(() => renderReport({ ...base, sections: [section('a', [figureBlock('<svg><image href="https://example.org/x.png"/></svg>', 'c')])] })).toThrow(/external resource/);
    expect(() => renderReport({ ...base, sections: [section('a', [imageBlock('https://example.org/x.png', 'x')])] })).toThrow(/data:image\/png;base64/);
    expect(() => renderReport({ ...base, sections: [section('a', [tableBlock(['x', 'y'], [['1']])])] })).toThrow(/section "a" block 0 \(table\): row 0 has 1 cells but there are 2 headers/);
  });
});

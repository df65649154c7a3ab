// A tiny static file server for the built lab (dist/web), bound to localhost only. The browser
// lab needs HTTP rather than file:// because module workers and fetch() refuse file URLs. It
// sends the cross-origin isolation headers (COOP same-origin, COEP require-corp) so the page may
// share WebAssembly memory between workers and train on every core; `--plain` leaves them out,
// as a static host that cannot set headers would (the page then isolates itself through its
// service worker, web/src/coi-sw.ts).
// Usage: tsx scripts/serve-web.ts [--port 8080] [--dir dist/web] [--plain]
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The headers that make a page cross-origin isolated (https://web.dev/articles/coop-coep). */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
} as const;

export interface ServeOptions {
  port?: number;
  /** Send the cross-origin isolation headers (default true); false serves like a plain static host. */
  isolationHeaders?: boolean;
}

/**
 * Serve `directory` on 127.0.0.1 (port 0 = any free port); resolves once listening. A request for
 * a directory serves its index.html, and a directory without the trailing slash redirects to it,
 * as static hosts do, so the lab can live under a sub-path (`/lab/`).
 */
export function serveDirectory(directory: string, options: ServeOptions = {}): Promise<{ server: Server; url: string }> {
  const root = resolve(directory);
  const extra = options.isolationHeaders === false ? {} : ISOLATION_HEADERS;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      response.writeHead(400, { 'content-type': 'text/plain' }).end(`bad path: ${url.pathname}`);
      return;
    }
    const target = resolve(root, `.${path}`);
    // Never serve anything outside the directory (a request for /../package.json).
    if (target !== root && !target.startsWith(root + sep)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    if (existsSync(target) && statSync(target).isDirectory() && !path.endsWith('/')) {
      response.writeHead(301, { location: `${url.pathname}/${url.search}` }).end();
      return;
    }
    const file = path.endsWith('/') ? resolve(target, 'index.html') : target;
    if (!existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', ...extra });
    createReadStream(file).pipe(response);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : options.port;
      done({ server, url: `http://127.0.0.1:${actual}/` });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const root = resolve(fileURLToPath(import.meta.url), '../..');
  const dir = resolve(root, flag('dir') ?? 'dist/web');
  if (!existsSync(resolve(dir, 'index.html'))) {
    console.error(`serve-web: ${dir}/index.html is missing; run \`npm run build:web\` first`);
    process.exit(1);
  }
  const plain = process.argv.includes('--plain');
  const { url } = await serveDirectory(dir, { port: Number(flag('port') ?? 8080), isolationHeaders: !plain });
  console.log(`skiplab lab: ${url} (${plain ? 'no isolation headers: the page isolates itself through its service worker' : 'cross-origin isolated'}; Ctrl-C to stop)`);
}

// A tiny static file server for the built lab (dist/web), bound to localhost only. The browser
// lab needs HTTP rather than file:// because module workers and fetch() refuse file URLs.
// Usage: tsx scripts/serve-web.ts [--port 8080] [--dir dist/web]
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
};

/** Serve `directory` on 127.0.0.1:`port` (0 = any free port); resolves once listening. */
export function serveDirectory(directory: string, port = 0): Promise<{ server: Server; url: string }> {
  const root = resolve(directory);
  if (!existsSync(resolve(root, 'index.html'))) throw new Error(`serve-web: ${root}/index.html is missing; run \`npm run build:web\` first`);
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    // Never serve anything outside the directory (a request for /../package.json).
    if ((file !== root && !file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    createReadStream(file).pipe(response);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
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
  const { url } = await serveDirectory(resolve(root, flag('dir') ?? 'dist/web'), Number(flag('port') ?? 8080));
  console.log(`skiplab lab: ${url} (Ctrl-C to stop)`);
}

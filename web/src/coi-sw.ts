/**
 * A service worker that makes the lab cross-origin isolated on static hosts that cannot send the
 * headers themselves (GitHub Pages, a plain file server): it re-serves every response of its
 * scope with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
 * require-corp, which is what makes SharedArrayBuffer — and so the wasm backend's threads —
 * available (https://web.dev/articles/coop-coep). The page registers it (isolation.ts) and
 * reloads once so that the document itself comes through it. Everything the lab loads is
 * same-origin, so require-corp blocks nothing.
 */
/// <reference lib="webworker" />
declare const self: ServiceWorkerGlobalScope;

self.addEventListener('install', () => {
  void self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  // Chrome refuses to answer these from a service worker (https://crbug.com/823392).
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(fetch(request).then((response) => {
    // Opaque responses (cross-origin, no-cors) cannot be rebuilt; none of the lab's are.
    if (response.status === 0) return response;
    const headers = new Headers(response.headers);
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }));
});

/**
 * Cross-origin isolation for the page, so the wasm backend can run on every core: served with
 * COOP/COEP headers (`npm run web` sends them) the page is isolated already; on a host that
 * cannot send headers, the service worker coi-sw.js adds them and the page reloads once through
 * it. When neither works the lab runs on one thread per run and says why.
 */

export type Isolation = { isolated: true } | { isolated: false; reason: string };

const RELOADED = 'skiplab-isolation-reload';
/** A browser may refuse service workers by never settling the registration (policies, automation). */
const REGISTRATION_TIMEOUT_MS = 8000;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error: unknown) => { clearTimeout(timer); reject(error); });
  });
}

/** The page's isolation, registering the service worker (and reloading once) when it helps. Resolves to null while reloading. */
export async function ensureCrossOriginIsolation(): Promise<Isolation | null> {
  if (globalThis.crossOriginIsolated) {
    sessionStorage.removeItem(RELOADED);
    return { isolated: true };
  }
  if (!globalThis.isSecureContext) return { isolated: false, reason: 'the page is not served over HTTPS or from localhost' };
  if (!('serviceWorker' in navigator)) return { isolated: false, reason: 'this browser offers no service workers here' };
  if (sessionStorage.getItem(RELOADED)) {
    sessionStorage.removeItem(RELOADED);
    return { isolated: false, reason: 'the page stayed without cross-origin isolation after reloading through the service worker' };
  }
  try {
    const registration = await within(navigator.serviceWorker.register(new URL('coi-sw.js', location.href)), REGISTRATION_TIMEOUT_MS, 'registering the service worker');
    await within(activated(registration), REGISTRATION_TIMEOUT_MS, 'starting the service worker');
  } catch (error) {
    return { isolated: false, reason: `the isolation service worker is unavailable (${(error as Error).message})` };
  }
  sessionStorage.setItem(RELOADED, '1');
  location.reload();
  return null;
}

function activated(registration: ServiceWorkerRegistration): Promise<void> {
  const worker = registration.installing ?? registration.waiting ?? registration.active;
  if (!worker || worker.state === 'activated') return Promise.resolve();
  return new Promise((resolve) => {
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated') resolve();
    });
  });
}

/** Threads per run: the cores shared out between the runs training at once (one without isolation). */
export function threadsPerRun(isolation: Isolation, runs: number): number {
  if (!isolation.isolated) return 1;
  return Math.max(1, Math.floor((navigator.hardwareConcurrency || 1) / Math.max(1, runs)));
}

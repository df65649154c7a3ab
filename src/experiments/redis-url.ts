import { isIP } from 'node:net';
import { UserInputError } from '../util/errors.js';

/**
 * Whether a Redis URL is safe to send skiplab's jobs through. Anyone who can reach a queue can
 * make its workers train (and write) what they like, so a Redis beyond this machine must ask
 * for a password (`redis://user:password@host`, an ACL user; `redis://:password@host` for
 * `requirepass`), and should be reached over TLS (`rediss://`) so the password and the jobs do
 * not cross the network in clear text. A loopback Redis is reachable only from this machine.
 */
export interface RedisUrlSafety {
  host: string;
  loopback: boolean;
  tls: boolean;
  /** The URL carries a password (with or without a user name). */
  authenticated: boolean;
  /** What is unsafe but allowed (shown to the user as a warning). */
  warnings: string[];
}

export class RedisUrlError extends UserInputError {
  override name = 'RedisUrlError';
}

/** The URL with its password replaced by *** (for messages and logs). */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name) || /^::ffff:7f[0-9a-f]{2}:/.test(name);
  return false;
}

/**
 * Inspect `url` and refuse it when it reaches Redis beyond this machine without a password,
 * unless `insecure` (the user's explicit `--insecure`). Throws RedisUrlError naming the problem
 * and the remedy; returns what it found, with warnings for what is allowed but unsafe.
 */
export function checkRedisUrlSafety(url: string, options: { insecure?: boolean } = {}): RedisUrlSafety {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError(`--redis: '${redactRedisUrl(url)}' is not a URL; expected redis://host:port (e.g. redis://127.0.0.1:6379)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisUrlError(`--redis: '${redactRedisUrl(url)}' is not a redis:// or rediss:// URL`);
  }
  if (parsed.hostname === '') throw new RedisUrlError(`--redis: '${redactRedisUrl(url)}' names no host`);
  const safety: RedisUrlSafety = {
    host: parsed.hostname,
    loopback: isLoopback(parsed.hostname),
    tls: parsed.protocol === 'rediss:',
    authenticated: parsed.password !== '',
    warnings: [],
  };
  if (safety.loopback) return safety;
  const shown = redactRedisUrl(url);
  if (!safety.authenticated) {
    if (!options.insecure) {
      throw new RedisUrlError(
        `--redis: ${shown} reaches Redis on another machine without a password, so anyone who reaches it can queue jobs for your workers; ` +
        'give an ACL user and password (redis://user:password@host:6379) and prefer TLS (rediss://), or pass --insecure on a network you trust',
      );
    }
    safety.warnings.push(`${shown}: no password (--insecure): anyone who reaches this Redis can queue jobs for the workers`);
  }
  if (!safety.tls) safety.warnings.push(`${shown}: not TLS: the ${safety.authenticated ? 'password and the ' : ''}jobs cross the network in clear text; use rediss:// to encrypt them`);
  return safety;
}

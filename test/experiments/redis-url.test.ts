import { describe, expect, it } from 'vitest';
import { checkRedisUrlSafety, redactRedisUrl, RedisUrlError } from '../../src/experiments/redis-url.js';

describe('checkRedisUrlSafety', () => {
  it('accepts a loopback Redis without a password, by any loopback name', () => {
    for (const url of ['redis://127.0.0.1:6379', 'redis://localhost', 'redis://LOCALHOST.:6380/2', 'redis://127.8.9.10', 'redis://[::1]:6379', 'redis://[::ffff:127.0.0.1]:6379', 'redis://worker.localhost']) {
      const safety = checkRedisUrlSafety(url);
      expect(safety.loopback, url).toBe(true);
      expect(safety.warnings, url).toEqual([]);
    }
  });

  it('refuses another machine without a password, naming the remedy, unless --insecure', () => {
    for (const url of ['redis://queue-host:6379', 'redis://10.0.0.5', 'rediss://queue-host', 'redis://user@queue-host', 'redis://[2001:db8::1]:6379', 'redis://127.0.0.1.example.com', 'redis://0.0.0.0']) {
      expect(() => checkRedisUrlSafety(url), url).toThrow(RedisUrlError);
      expect(() => checkRedisUrlSafety(url), url).toThrow(/without a password, so anyone who reaches it can queue jobs .*\(redis:\/\/user:password@host:6379\).*\(rediss:\/\/\).*--insecure/);
    }
    const insecure = checkRedisUrlSafety('redis://queue-host:6379', { insecure: true });
    expect(insecure.warnings).toHaveLength(2);
    expect(insecure.warnings[0]).toMatch(/no password \(--insecure\)/);
  });

  it('accepts a password (ACL user or requirepass), warning when it would travel without TLS', () => {
    const plain = checkRedisUrlSafety('redis://skiplab:s3cret@queue-host:6379');
    expect(plain).toMatchObject({ host: 'queue-host', loopback: false, tls: false, authenticated: true });
    expect(plain.warnings).toEqual(['redis://skiplab:***@queue-host:6379: not TLS: the password and the jobs cross the network in clear text; use rediss:// to encrypt them']);
    expect(checkRedisUrlSafety('redis://:s3cret@queue-host').authenticated).toBe(true);
    const tls = checkRedisUrlSafety('rediss://skiplab:s3cret@queue-host:6380');
    expect(tls).toMatchObject({ tls: true, authenticated: true, warnings: [] });
  });

  it('rejects what is not a Redis URL, never echoing the password', () => {
    expect(() => checkRedisUrlSafety('queue-host:6379')).toThrow(/is not a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => checkRedisUrlSafety('http://u:pw@queue-host')).toThrow(/'http:\/\/u:\*\*\*@queue-host' is not a redis/);
    expect(() => checkRedisUrlSafety('not a url')).toThrow(/is not a URL/);
    expect(() => checkRedisUrlSafety('redis://a:b@queue-host/x')).not.toThrow();
    expect(redactRedisUrl('rediss://user:pa:ss@host')).toBe('rediss://user:***@host');
  });
});

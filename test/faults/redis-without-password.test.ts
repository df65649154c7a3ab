import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedisUrlSafety } from '../../src/experiments/redis-url.js';
import { runCli, startCli } from '../helpers/cli.js';
import { freePort, waitForOutput } from '../helpers/queue.js';
import { redisAvailable, scratchFolders, stderrOf } from './helpers.js';

/**
 * Fault: the README told users to run Redis with `--bind 0.0.0.0 --protected-mode no` and no
 * password, and skiplab took any URL, so anyone who reached the port could queue jobs. Now a URL
 * of Redis beyond this machine without a password is refused (one line naming `--insecure`) by
 * `experiment`, `worker` and `status`, before anything is written; an ACL user and password
 * (`redis://user:password@host`) and TLS (`rediss://`) work end to end against a real
 * redis-server that listens on this machine's network address with TLS and ACL users only.
 */
const scratch = scratchFolders('redis-url');
// This machine's address on its network: not loopback, so the password rule applies to it.
const host = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '192.0.2.1';
const spec = { name: 'probe', base: { model: 'mlp', dataset: 'mnist', epochs: 1, trainSubset: 100, testSubset: 50 } };

describe('fault: a Redis beyond this machine without a password', { timeout: 300_000 }, () => {
  it('is refused by experiment, worker and status, naming --insecure, before anything is written', () => {
    const top = scratch();
    const store = join(top, 'store');
    const file = join(top, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    for (const args of [
      ['experiment', file, '--executor', 'bullmq', '--redis', `redis://${host}:6379`, '--store', store, '--no-report'],
      ['worker', '--redis', `redis://${host}:6379`],
      ['status', file, '--redis', `rediss://user@${host}:6379`, '--store', store],
    ]) {
      const r = runCli(args);
      expect(r.status, args[0]).toBe(1);
      expect(r.stderr.trim().split('\n'), `${args[0]}: one line, no stack`).toHaveLength(1);
      expect(r.stderr).toMatch(/without a password, so anyone who reaches it can queue jobs.*redis:\/\/user:password@host:6379.*rediss:\/\/.*--insecure/);
    }
    expect(readdirSync(top)).toEqual(['spec.json']);
  });
});

describe('the README on running Redis', () => {
  it('shows no Redis open to the network without a password, and only --redis URLs that skiplab accepts', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    // The lines inside fenced code blocks.
    let inside = false;
    const code = readme.split('\n').filter((line) => (/^\s*```/.test(line) ? ((inside = !inside), false) : inside)).join('\n');
    expect(code).not.toMatch(/--protected-mode no/);
    const servers = code.split('\n').map((line, i, lines) => (/^\s*redis-server/.test(line) ? lines.slice(i, i + 3).join(' ') : null)).filter((s): s is string => s !== null);
    for (const server of servers.filter((s) => /--bind 0\.0\.0\.0/.test(s))) expect(server).toMatch(/--aclfile|--requirepass/);
    const exported = /export REDIS=(\S+)/.exec(code)?.[1];
    const urls = [...code.matchAll(/--redis (\S+)/g)].map((m) => (m[1] === '$REDIS' ? exported! : m[1]!));
    expect(urls.length).toBeGreaterThan(3);
    for (const url of urls) expect(() => checkRedisUrlSafety(url), url).not.toThrow();
  });
});

describe.runIf(redisAvailable('redis-without-password.test.ts') && host !== '192.0.2.1')('fault: authentication and TLS reach a real Redis', { timeout: 300_000 }, () => {
  let redis: ChildProcess;
  let port = 0;
  let tlsPort = 0;
  let certs = '';
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    certs = scratch();
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certs, 'key.pem'), '-out', join(certs, 'cert.pem'), '-days', '1',
      '-subj', '/CN=skiplab-test', '-addext', `subjectAltName=IP:${host},IP:127.0.0.1`], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr}`);
    [port, tlsPort] = [await freePort(), await freePort()];
    // No default user: only the ACL user 'skiplab' with its password gets in.
    writeFileSync(join(certs, 'redis.conf'), 'user default off\nuser skiplab on >s3cret ~* &* +@all\n');
    redis = spawn('redis-server', [join(certs, 'redis.conf'), '--port', String(port), '--tls-port', String(tlsPort), '--bind', `127.0.0.1 ${host}`, '--save', '', '--appendonly', 'no',
      '--tls-cert-file', join(certs, 'cert.pem'), '--tls-key-file', join(certs, 'key.pem'), '--tls-ca-cert-file', join(certs, 'cert.pem'), '--tls-auth-clients', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(redis, /Ready to accept connections/, 'redis-server');
  });
  afterAll(() => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    redis?.kill('SIGTERM');
  });

  it('serves a worker over TLS with an ACL user, and over plain TCP with a warning that it is not encrypted', async () => {
    const env = { NODE_EXTRA_CA_CERTS: join(certs, 'cert.pem') };
    for (const [url, warning] of [[`rediss://skiplab:s3cret@${host}:${tlsPort}`, null], [`redis://skiplab:s3cret@${host}:${port}`, /not TLS: the password and the jobs cross the network in clear text; use rediss:\/\//]] as const) {
      const worker = startCli(['worker', '--redis', url], env);
      workers.push(worker);
      const log = stderrOf(worker);
      await waitForOutput(worker, /on skiplab-runs/, url);
      if (warning) expect(log.text).toMatch(warning);
      else expect(log.text).not.toMatch(/warning|not TLS|password/);
      expect(log.text).not.toContain('s3cret');
      worker.kill('SIGKILL');
    }
  });

  it('names a wrong password without printing it, and an --insecure URL without one is still turned away by Redis', () => {
    const wrong = runCli(['worker', '--redis', `rediss://skiplab:wrong-secret@${host}:${tlsPort}`], { NODE_EXTRA_CA_CERTS: join(certs, 'cert.pem') });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`cannot reach Redis at rediss://skiplab:\\*\\*\\*@${host.replace(/\./g, '\\.')}:${tlsPort}: WRONGPASS`));
    expect(wrong.stderr).not.toContain('wrong-secret');
    const insecure = runCli(['worker', '--insecure', '--redis', `redis://${host}:${port}`]);
    expect(insecure.status).toBe(1);
    expect(insecure.stderr).toMatch(/no password \(--insecure\): anyone who reaches this Redis can queue jobs/);
    expect(insecure.stderr).toMatch(/NOAUTH/);
  });
});

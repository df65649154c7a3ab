import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JobMessage } from './job-process.js';

/**
 * A `job-process` child and the jobs it runs, one at a time: the parent side shared by the local
 * pool (one child per worker slot, reused while its jobs succeed, so modules and data load once)
 * and the queue worker (one child per job, killed if the job's lock is lost).
 */
export interface JobHandlers {
  onEpoch?: (epoch: number, epochs: number, message?: string) => void;
  onProgress?: (message: string) => void;
}

export interface JobExit {
  /** 0 when the job finished; else the child's exit code (it exits after a failed job). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child's last `skiplab:` line on stderr during the job (or its last line), for messages. */
  reason: string;
}

/** The child entry next to this file: .ts under tsx/vitest, .js when built. */
function childEntry(): { path: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return { path: self.replace(/child-jobs\.ts$/, 'job-process.ts'), execArgv: ['--import', 'tsx'] };
  return { path: self.replace(/child-jobs\.js$/, 'job-process.js'), execArgv: [] };
}

export class JobProcess {
  readonly child: ChildProcess;
  private stderr = '';
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private current: { handlers: JobHandlers; done: (exit: JobExit) => void } | null = null;

  /** Fork a child whose kernels use `threads` threads (SKIPLAB_THREADS). */
  constructor(threads: number) {
    const entry = childEntry();
    this.child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      env: { ...process.env, SKIPLAB_THREADS: String(threads) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.child.on('message', (m: { kind?: string; epoch?: number; epochs?: number; message?: string }) => {
      const handlers = this.current?.handlers;
      if (m.kind === 'epoch' && m.epoch !== undefined && m.epochs !== undefined) handlers?.onEpoch?.(m.epoch, m.epochs, m.message);
      if (m.kind === 'progress' && m.message) handlers?.onProgress?.(m.message);
      if (m.kind === 'finished') this.finish({ code: 0, signal: null, reason: '' });
    });
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      const lines = this.stderr.trim().split('\n');
      const reason = lines.filter((l) => l.startsWith('skiplab:')).pop()?.slice('skiplab: '.length) ?? lines.pop() ?? '';
      // A child that exits 0 mid-job did not finish it (it was told to stop).
      this.finish({ code: code === 0 ? null : code, signal, reason: reason || 'the job process exited before finishing' });
    });
  }

  get alive(): boolean {
    return this.exited === null;
  }

  private finish(exit: JobExit): void {
    const current = this.current;
    this.current = null;
    current?.done(exit);
  }

  /** Run one job in this child; resolves when it finished (code 0) or the child died. */
  run(message: JobMessage, handlers: JobHandlers = {}): Promise<JobExit> {
    if (!this.alive) return Promise.resolve({ code: this.exited!.code, signal: this.exited!.signal, reason: 'the job process has exited' });
    if (this.current) throw new Error('JobProcess.run: a job is already running in this process');
    this.stderr = '';
    return new Promise((done) => {
      this.current = { handlers, done };
      this.child.send(message);
    });
  }

  /** Let the child exit once it is idle (it exits when its IPC channel closes). */
  close(): void {
    if (this.alive && this.child.connected) this.child.disconnect();
  }
}

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { TbxError } from '../../lib/errors.js';
import type { Job, JobResult } from './worker-jobs.js';

/** A job failed inside a worker thread. */
export class WorkerJobError extends TbxError {}

interface Pending {
  job: Job;
  transfer: ArrayBuffer[];
  resolve: (r: JobResult) => void;
  reject: (e: unknown) => void;
}

/**
 * A fixed pool of worker threads (one per core by default) running {@link Job}s. Buffers
 * passed in `transfer` move to the worker and must not be used by the caller afterwards.
 * `size` 0 runs jobs inline (no threads), which tests and tiny disks may prefer.
 */
export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<number, Pending>();
  private nextId = 1;
  private failed: unknown;

  constructor(readonly size = availableParallelism()) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      w.on('message', (msg: { id: number; result?: JobResult; error?: string }) => {
        const p = this.running.get(msg.id);
        this.running.delete(msg.id);
        this.idle.push(w);
        if (p) msg.error !== undefined ? p.reject(new WorkerJobError(msg.error)) : p.resolve(msg.result!);
        this.pump();
      });
      w.on('error', (err) => this.fail(err));
      this.all.push(w);
      this.idle.push(w);
    }
  }

  /** Run `job` on the next free worker. */
  run(job: Job, transfer: ArrayBuffer[] = []): Promise<JobResult> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.size === 0) {
      return import('./worker-jobs.js').then((m) => m.runJob(job));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ job, transfer, resolve, reject });
      this.pump();
    });
  }

  /** Jobs queued or running. */
  get busy(): number {
    return this.queue.length + this.running.size;
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const p = this.queue.shift()!;
      const id = this.nextId++;
      this.running.set(id, p);
      w.postMessage({ id, job: p.job }, p.transfer);
    }
  }

  private fail(err: unknown): void {
    this.failed = new WorkerJobError('an imaging worker thread died', { cause: err });
    for (const p of [...this.queue, ...this.running.values()]) p.reject(this.failed);
    this.queue.length = 0;
    this.running.clear();
  }
}

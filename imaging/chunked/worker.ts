import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './worker-jobs.js';

/** Worker thread entry: runs jobs from the pool and posts results back, transferring buffers. */
parentPort!.on('message', (msg: { id: number; job: Job }) => {
  try {
    const result = runJob(msg.job);
    const transfer: ArrayBuffer[] = [];
    parentPort!.postMessage({ id: msg.id, result }, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});


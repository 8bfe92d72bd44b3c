import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './worker-jobs.js';

/** Worker thread entry: runs jobs from the pool and posts results back, transferring buffers. */
parentPort!.on('message', (msg: { id: number; job: Job }) => {
  try {
    const result = runJob(msg.job);
    const transfer: ArrayBuffer[] = [];
    // The job's own buffers go back whole, for the next frame.
    if (result.type === 'compress') transfer.push(result.raw.buffer as ArrayBuffer, result.out.buffer as ArrayBuffer);
    parentPort!.postMessage({ id: msg.id, result }, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});


import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './worker-jobs.js';

/**
 * Worker thread entry: runs jobs from the pool and posts results back. Results are small (a
 * frame's bytes stay in the buffer the caller shares with the worker), so nothing is transferred.
 */
parentPort!.on('message', (msg: { id: number; job: Job }) => {
  try {
    parentPort!.postMessage({ id: msg.id, result: runJob(msg.job) });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});

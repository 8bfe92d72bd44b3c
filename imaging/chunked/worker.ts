import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './worker-jobs.js';

/** Worker thread entry: runs jobs from the pool and posts results back, transferring buffers. */
parentPort!.on('message', (msg: { id: number; job: Job }) => {
  try {
    const result = runJob(msg.job);
    const transfer: ArrayBuffer[] = [];
    if (result.type === 'compress') transfer.push(own(result.compressed));
    parentPort!.postMessage({ id: msg.id, result }, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});

/** The buffer's ArrayBuffer, copied when it is shared with other views (Node's buffer pool). */
function own(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
}

import { GzipStore } from './gzip-store.js';
import type { ImageStore } from './store.js';

/** Every image store tbx can read, newest format first. */
export function allStores(): ImageStore[] {
  return [new GzipStore()];
}

/** The store new backups are written with. */
export function writeStore(): ImageStore {
  return new GzipStore();
}

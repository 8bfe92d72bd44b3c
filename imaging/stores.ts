import { ChunkStore, type ChunkStoreOptions } from './chunked/chunk-store.js';
import { GzipStore } from './gzip-store.js';
import type { ImageFormat, ImageStore } from './store.js';

/** Every image store tbx can read, newest format first: restore takes the newest image among them. */
export function allStores(options: ChunkStoreOptions = {}): ImageStore[] {
  return [new ChunkStore(options), new GzipStore()];
}

/** The store new backups are written with: chunked unless the site asks for the seed's gzip. */
export function writeStore(format: ImageFormat = 'chunked', options: ChunkStoreOptions = {}): ImageStore {
  return format === 'gzip' ? new GzipStore() : new ChunkStore(options);
}

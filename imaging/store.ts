import { TbxError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/** Image formats tbx reads and writes. `gzip` is the seed's `<dev>.gz`. */
export type ImageFormat = 'gzip';

/** A disk to read from or write to: a block device, or a regular file standing in for one. */
export interface DiskTarget {
  /** Kernel name, e.g. `sda`. */
  device: string;
  /** Path to open, e.g. `/dev/sda`. */
  path: string;
  /** Size in bytes. */
  size: number;
}

/** One restorable image of one device, as a store lists it. */
export interface ImageSummary {
  device: string;
  format: ImageFormat;
  /** What the image is called in messages and statuses, e.g. `sda.gz`. */
  ref: string;
  /** When it was written (ISO-8601), if known. */
  createdAt: string | null;
  /** Bytes the image takes on the share. */
  storedBytes: number;
  /** Size of the disk it was taken from, if recorded. */
  logicalBytes: number | null;
  /** SHA-256 of the raw disk content, if recorded. */
  sha256: string | null;
}

/** What every imaging call gets: the box's logger and optional progress reporting. */
export interface ImagingContext {
  log: Logger;
  /** Called as bytes move; `total` is the disk size. */
  progress?: (done: number, total: number) => void;
}

/** Outcome of one disk's backup or restore, as it goes into the status file. */
export interface DiskResult {
  device: string;
  /** Raw bytes read from or written to the disk. */
  bytes: number;
  /** SHA-256 of the raw disk content. */
  sha256: string;
  seconds: number;
  /** The image's ref. */
  image: string;
  /** Bytes the image takes on the share (backup only). */
  storedBytes?: number;
}

/**
 * The one interface between the agent and how images are kept on the backup share.
 * Implementations must never replace a good image with an unverified one: a crash at any
 * point leaves the previous image restorable.
 */
export interface ImageStore {
  readonly format: ImageFormat;
  /** The newest image per device held for the box whose share directory is `dir`. */
  list(dir: string): Promise<ImageSummary[]>;
  /**
   * Image `disk` into `dir`. With `replace` false an existing image is an error; with it
   * true (backup-again) the previous image is kept as the older copy.
   */
  backup(disk: DiskTarget, dir: string, options: ImagingContext & { replace: boolean }): Promise<DiskResult>;
  /** Write `image` onto `disk`, verifying the image before the first byte is written. */
  restore(image: ImageSummary, disk: DiskTarget, dir: string, context: ImagingContext): Promise<DiskResult>;
}

/** An image failed verification; nothing was written from it. */
export class ImageIntegrityError extends TbxError {}

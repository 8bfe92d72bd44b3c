import { TbxError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/**
 * Image formats tbx reads and writes. `gzip` is the seed's `<dev>.gz`; `chunked` is the
 * deduplicating chunk store (imaging/chunked/), one generation per backup.
 */
export type ImageFormat = 'gzip' | 'chunked';
/** All image formats, for validation. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ['chunked', 'gzip'];

/** A disk to read from or write to: a block device, or a regular file standing in for one. */
export interface DiskTarget {
  /** Kernel name, e.g. `sda`. */
  device: string;
  /** Path to open, e.g. `/dev/sda`. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Identity from /sys/block/<dev>/device, when known (recorded in chunked images). */
  model?: string;
  serial?: string;
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
  /** Chunked images: the disk digest, `blake3-tree:<hex>`. */
  digest?: string;
  /** Chunked images: the generation number (1, 2, ...). */
  generation?: number;
  /** Chunked images: `whole-disk`, or `used-blocks` when file system free space was skipped. */
  mode?: string;
  /** The disk and box the image was taken from, when recorded (the restore identity gate). */
  origin?: ImageOrigin;
  /**
   * Set by `list()` when a newer image of this disk exists but cannot be read (e.g. a damaged
   * generation index): which one and why. This summary is then only the newest readable
   * image, and a restore of "the newest" must refuse rather than take it silently.
   */
  newerDamaged?: string;
}

/** Where an image came from: the disk's identity at backup time and the box. */
export interface ImageOrigin {
  size: number;
  model?: string;
  serial?: string;
  ip?: string;
  name?: string;
  /** The request whose backup wrote the image, when recorded: a re-run of that request keeps it rather than backing up again. */
  request?: string;
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
  /** gzip images: SHA-256 of the raw disk content. */
  sha256?: string;
  /**
   * chunked images: the disk digest `blake3-tree:<hex>` (BLAKE3 over the disk size and its
   * extent list with each chunk's BLAKE3). After a restore it equals the generation's.
   */
  digest?: string;
  seconds: number;
  /** The image's ref. */
  image: string;
  /** Bytes the image takes on the share (backup only; chunked: bytes new to the store). */
  storedBytes?: number;
  /** chunked images: `whole-disk` or `used-blocks`. */
  mode?: string;
  /** chunked images: the generation written or restored. */
  generation?: number;
  /**
   * restore: the digest of what the disk holds after writing, read back from the disk after
   * fsync (same form as `sha256`/`digest`); a restore whose read-back differs throws instead.
   */
  readBack?: string;
}

/** Options of a backup: `replace` for backup-again, `keep` generations (chunked), the box. */
export type BackupOptions = ImagingContext & { replace: boolean; keep?: number; skipFree?: boolean; box?: { ip?: string; name?: string; request?: string } };

/**
 * The one interface between the agent and how images are kept on the backup share.
 * Implementations must never replace a good image with an unverified one: a crash at any
 * point leaves the previous image restorable.
 */
export interface ImageStore {
  readonly format: ImageFormat;
  /** The newest image per device held for the box whose share directory is `dir`. */
  list(dir: string): Promise<ImageSummary[]>;
  /** Every generation of every device, oldest first (stores that keep generations). */
  generations?(dir: string): Promise<ImageSummary[]>;
  /**
   * Image `disk` into `dir`. With `replace` false an existing image is an error; with it
   * true (backup-again) the previous image is kept as the older copy (gzip), or the newest
   * `keep` generations are kept (chunked).
   */
  backup(disk: DiskTarget, dir: string, options: BackupOptions): Promise<DiskResult>;
  /** Write `image` onto `disk`, verifying the image before the first byte is written. */
  restore(image: ImageSummary, disk: DiskTarget, dir: string, context: ImagingContext): Promise<DiskResult>;
}

/** An image failed verification; nothing was written from it. */
export class ImageIntegrityError extends TbxError {}

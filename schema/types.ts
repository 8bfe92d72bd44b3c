/**
 * TypeScript shapes of the fleet repo's files, as they are after schema validation with
 * defaults applied. Keep in step with the *.schema.json files beside this one; the
 * schema tests validate the example fleet against both.
 */

export type Action = 'none' | 'backup' | 'backup-again' | 'restore' | 'refresh-info' | 'rescue';
export const ACTIONS: readonly Action[] = ['none', 'backup', 'backup-again', 'restore', 'refresh-info', 'rescue'];

export type Phase = 'Running' | 'Succeeded' | 'Failed' | 'Rescue';

/** `fleet.yaml`, kind Site. */
export interface Site {
  apiVersion: 'tbx/v1';
  kind: 'Site';
  boot: {
    nfsServer: string;
    nfsRoot: string;
    gateway?: string;
    netmask?: string;
    ethDevice: string;
    ipConfig: 'static' | 'dhcp';
    kernel: string;
    initrd: string;
    extraArgs: string[];
  };
  policy: {
    maxConcurrent: number;
    maxAttempts: number;
    /** Duration like `2h` or `90m`. */
    actionTimeout: string;
    /** Cron-style allow windows; absent: any time. */
    windows?: string[];
    timezone: string;
    /** backup-again keeps this many generations per disk (chunked images). */
    keepGenerations: number;
    /** How new backups are written. */
    imageFormat: 'chunked' | 'gzip';
    /** Chunked backups skip ext2/3/4 and NTFS free space. */
    skipFreeSpace: boolean;
  };
  power?: Power;
  spec?: { suspend: boolean };
}

/** How tbx reboots a box after writing its config, and checks it came back (site-wide or per box). */
export interface Power {
  rebootCommand?: string[];
  checkCommand?: string[];
  check?: { tcp: number };
  timeoutSeconds?: number;
  retries?: number;
  comebackMinutes?: number;
}

/** `testboxes/<name>.yaml`, kind Testbox. */
export interface Testbox {
  apiVersion: 'tbx/v1';
  kind: 'Testbox';
  name: string;
  ip: string;
  disks?: string[];
  action: Action;
  request?: string;
  /** restore only: restore despite a different disk serial or another box's image. */
  force?: boolean;
  /** restore only: `<box>[@<generation>]` whose image to restore (golden image). */
  source?: string;
  suspend: boolean;
  labels?: Record<string, string>;
  power?: 'manual' | Power;
}

/** One disk's outcome inside a status. */
export interface DiskReport {
  device: string;
  bytes: number;
  /** gzip images: SHA-256 of the raw disk content. */
  sha256?: string;
  /** chunked images: `blake3-tree:<hex>`, the disk digest (equal to the generation's after a restore). */
  digest?: string;
  seconds: number;
  image?: string;
  storedBytes?: number;
  mode?: 'whole-disk' | 'used-blocks';
  generation?: number;
  /** The disk's size in bytes and its identity from /sys/block/<dev>/device (the restore gate). */
  size?: number;
  model?: string;
  serial?: string;
  /** restore: the digest of the disk read back after writing (equal to `sha256`/`digest`). */
  readBack?: string;
}

/** `status/<name>.yaml`, kind TestboxStatus: written by the agent. */
export interface TestboxStatus {
  apiVersion: 'tbx/v1';
  kind: 'TestboxStatus';
  name: string;
  ip: string;
  request: string;
  action: Action;
  attempt: number;
  phase: Phase;
  startedAt: string;
  finishedAt?: string;
  message?: string;
  exitCode?: number;
  host?: string;
  disks?: DiskReport[];
}

/** A condition the reconciler recorded about a request, e.g. `Stalled`. */
export interface Condition {
  type: string;
  reason: string;
  message: string;
  at: string;
}

/** `notes/<name>.yaml`, kind TestboxNote: written by the reconciler. */
export interface TestboxNote {
  apiVersion: 'tbx/v1';
  kind: 'TestboxNote';
  name: string;
  request: string;
  conditions: Condition[];
}

/** The kinds tbx reads, keyed to their schema file. */
export type Kind = 'Site' | 'Testbox' | 'TestboxStatus' | 'TestboxNote';

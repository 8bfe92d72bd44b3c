import cliProgress from 'cli-progress';
import type { Logger } from '../lib/logger.js';
import { writeProgress, type ProgressRecord } from '../share/progress-file.js';

/** Who is imaging: the fields of progress.json that do not change during an action. */
export interface ProgressIdentity {
  backupRoot: string;
  ip: string;
  name: string | null;
  request: string | null;
  action: string;
  attempt: number | null;
}

/** How often each sink is fed. */
export interface ProgressOptions {
  /** Minimum time between progress.json writes (default 1 s). */
  fileEveryMs?: number;
  /** Minimum time between structured log lines (default 10 s). */
  logEveryMs?: number;
  /** Show a progress bar on this stream when it is a TTY (the maintenance console). */
  tty?: NodeJS.WriteStream | null;
  now?: () => number;
}

/** One disk's progress callback, and how to finish it. */
export interface DiskProgress {
  /** The `ImagingContext.progress` callback. */
  update(done: number, total: number): void;
  /** Flush the final numbers (call after the disk completed). */
  end(): Promise<void>;
}

/** The progress reporter of one action. */
export interface ProgressReporter {
  /** Start disk `index` (1-based) of `count`. */
  disk(device: string, index: number, count: number): DiskProgress;
  /** Record the action's end (state done or failed) in progress.json. */
  finish(state: 'done' | 'failed'): Promise<void>;
}

/**
 * Report imaging progress to three places: `<backup>/<ip>/progress.json` (atomic, at most
 * once per `fileEveryMs`, for `tbx status --watch`), a structured log line per `logEveryMs`
 * (`bytes`, `total`, `percent`, `bytesPerSecond`, `etaSeconds`), and a bar with bytes, rate
 * and time left on the console when it is a TTY. Write errors never fail the action.
 */
export function createProgressReporter(id: ProgressIdentity, log: Logger, options: ProgressOptions = {}): ProgressReporter {
  const now = options.now ?? Date.now;
  const fileEvery = options.fileEveryMs ?? 1000;
  const logEvery = options.logEveryMs ?? 10_000;
  const startedAt = new Date(now()).toISOString();
  let last: ProgressRecord | undefined;
  let writing: Promise<void> = Promise.resolve();
  const save = (r: ProgressRecord) => {
    last = r;
    writing = writing.then(() => writeProgress(id.backupRoot, r)).catch((err: unknown) => log.debug({ err: String(err) }, 'progress.json not written'));
    return writing;
  };
  return {
    disk(device, index, count) {
      const t0 = now();
      let lastFile = 0;
      let lastLog = t0;
      let record: ProgressRecord | undefined;
      const bar = options.tty?.isTTY
        ? new cliProgress.SingleBar(
            { stream: options.tty, format: `${device} [{bar}] {percentage}% | {done} / {size} | {rate}/s | ETA {eta_formatted}`, hideCursor: true, etaBuffer: 50, fps: 5 },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      let barStarted = false;
      const snapshot = (done: number, total: number): ProgressRecord => {
        const seconds = Math.max((now() - t0) / 1000, 0.001);
        const rate = done / seconds;
        return {
          apiVersion: 'tbx/v1', kind: 'TestboxProgress', name: id.name, ip: id.ip, request: id.request, action: id.action, attempt: id.attempt,
          state: 'running', device, disk: index, disks: count, bytesDone: done, bytesTotal: total,
          percent: total > 0 ? Math.min(100, Math.floor((done / total) * 1000) / 10) : 0,
          bytesPerSecond: Math.round(rate),
          etaSeconds: rate > 0 && total > done ? Math.round((total - done) / rate) : done >= total ? 0 : null,
          startedAt, updatedAt: new Date(now()).toISOString(),
        };
      };
      return {
        update(done, total) {
          const t = now();
          record = snapshot(done, total);
          if (bar) {
            if (!barStarted) bar.start(total, 0, { done: human(0), size: human(total), rate: human(0) });
            barStarted = true;
            bar.update(done, { done: human(done), size: human(total), rate: human(record.bytesPerSecond) });
          }
          if (t - lastFile >= fileEvery) {
            lastFile = t;
            void save(record);
          }
          if (t - lastLog >= logEvery) {
            lastLog = t;
            log.info({ device, bytes: done, total, percent: record.percent, bytesPerSecond: record.bytesPerSecond, etaSeconds: record.etaSeconds }, 'imaging progress');
          }
        },
        async end() {
          if (bar && barStarted) bar.stop();
          if (record) {
            log.info({ device, bytes: record.bytesDone, total: record.bytesTotal, percent: record.percent, bytesPerSecond: record.bytesPerSecond, etaSeconds: 0 }, 'imaging progress');
            await save(record);
          }
        },
      };
    },
    async finish(state) {
      await writing;
      if (last) await save({ ...last, state, updatedAt: new Date(now()).toISOString() });
    },
  };
}

function human(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

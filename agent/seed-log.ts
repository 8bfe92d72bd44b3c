import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { appendNoFollow } from '../lib/append-file.js';
import { describeError } from '../lib/errors.js';
import { BACKUP_MARKER, BOX_FILES, GLOBAL_LOG } from '../share/layout.js';
import { AgentFailure, EXIT } from './exit-codes.js';

/** `date -uIsec`: 2026-11-24T16:28:34+00:00, the seed's timestamp format. */
export function seedTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** Where the agent's human lines go besides the log files. */
export interface ConsoleSink {
  out(line: string): void;
  err(line: string): void;
}

/**
 * The seed's three logs, written synchronously (the agent reboots right after):
 * - `<ip>/maintenance.log`: a session banner, then `<time>: <ip>: info|error: <text>`;
 * - `maintenance.log` in the share root: a "says hi" line, the action, every error;
 * - `<ip>/maintenance-output.log`: everything printed on the console.
 * None of them is ever written through a symlink.
 */
export class SeedLog {
  private boxLog?: string;
  private outputLog?: string;
  private globalLog?: string;
  private marker?: string;
  private ip = '';

  constructor(
    private readonly now: () => Date,
    private readonly sink: ConsoleSink,
  ) {}

  /**
   * Start logging to the share once it is known to be mounted. A log path that is a symlink
   * makes the share unusable (code 11): someone planted it, and the run must not start.
   */
  attach(backupRoot: string, boxDir: string, ip: string, host: string): void {
    this.ip = ip;
    const logs = [join(boxDir, BOX_FILES.log), join(boxDir, BOX_FILES.output), join(backupRoot, GLOBAL_LOG)];
    for (const path of logs) {
      if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw new AgentFailure(EXIT.backupShare, `${path} is a symlink; refusing to write logs through it (it could overwrite another file on the share). Remove it and boot again.`);
      }
    }
    [this.boxLog, this.outputLog, this.globalLog] = logs;
    this.marker = join(backupRoot, BACKUP_MARKER);
    const t = seedTime(this.now());
    const banner = `================ ${t}: ${ip}: ${host} starts a new session ================`;
    this.append('boxLog', `${banner}\n`);
    this.append('globalLog', `${t}: ${ip}: ${host} says hi.\n`);
    this.append('outputLog', `\n${banner}\n`);
  }

  /** An info line: console, output log and the box's log. */
  info(text: string): void {
    this.console('out', text);
    this.append('boxLog', `${seedTime(this.now())}: ${this.ip}: info: ${text}\n`);
  }

  /** An error line: console, output log, the box's log and the global log (if the share is there). */
  error(text: string): void {
    this.console('err', `tbx agent: error: ${text}`);
    const line = `${seedTime(this.now())}: ${this.ip}: error: ${text}\n`;
    this.append('boxLog', line);
    if (this.marker && existsSync(this.marker)) this.append('globalLog', line);
  }

  /** A line for the global log only (the action being executed). */
  global(text: string): void {
    this.append('globalLog', `${seedTime(this.now())}: ${this.ip}: info: ${text}\n`);
  }

  /** A console line that is not a log entry (tee'd to the output log like the seed's `tee -a`). */
  console(stream: 'out' | 'err', line: string): void {
    if (stream === 'out') this.sink.out(line);
    else this.sink.err(line);
    this.append('outputLog', `${line}\n`);
  }

  /**
   * Append to one log if it is attached. A log that turns into a symlink mid-run (or fails
   * otherwise) is dropped with one console line: a log must never stop a restore half-way.
   */
  private append(which: 'boxLog' | 'outputLog' | 'globalLog', text: string): void {
    const path = this[which];
    if (!path) return;
    try {
      appendNoFollow(path, text);
    } catch (err) {
      this[which] = undefined;
      this.sink.err(`tbx agent: error: no longer writing ${path}: ${describeError(err)}`);
    }
  }
}

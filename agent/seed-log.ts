import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BACKUP_MARKER, BOX_FILES, GLOBAL_LOG } from '../share/layout.js';

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

  /** Start logging to the share once it is known to be mounted. */
  attach(backupRoot: string, boxDir: string, ip: string, host: string): void {
    this.ip = ip;
    this.boxLog = join(boxDir, BOX_FILES.log);
    this.outputLog = join(boxDir, BOX_FILES.output);
    this.globalLog = join(backupRoot, GLOBAL_LOG);
    this.marker = join(backupRoot, BACKUP_MARKER);
    const t = seedTime(this.now());
    const banner = `================ ${t}: ${ip}: ${host} starts a new session ================`;
    appendFileSync(this.boxLog, `${banner}\n`);
    appendFileSync(this.globalLog, `${t}: ${ip}: ${host} says hi.\n`);
    appendFileSync(this.outputLog, `\n${banner}\n`);
  }

  /** An info line: console, output log and the box's log. */
  info(text: string): void {
    this.console('out', text);
    if (this.boxLog) appendFileSync(this.boxLog, `${seedTime(this.now())}: ${this.ip}: info: ${text}\n`);
  }

  /** An error line: console, output log, the box's log and the global log (if the share is there). */
  error(text: string): void {
    this.console('err', `tbx agent: error: ${text}`);
    const line = `${seedTime(this.now())}: ${this.ip}: error: ${text}\n`;
    if (this.boxLog) appendFileSync(this.boxLog, line);
    if (this.globalLog && this.marker && existsSync(this.marker)) appendFileSync(this.globalLog, line);
  }

  /** A line for the global log only (the action being executed). */
  global(text: string): void {
    if (this.globalLog) appendFileSync(this.globalLog, `${seedTime(this.now())}: ${this.ip}: info: ${text}\n`);
  }

  /** A console line that is not a log entry (tee'd to the output log like the seed's `tee -a`). */
  console(stream: 'out' | 'err', line: string): void {
    if (stream === 'out') this.sink.out(line);
    else this.sink.err(line);
    if (this.outputLog) appendFileSync(this.outputLog, `${line}\n`);
  }
}

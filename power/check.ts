import { connect } from 'node:net';
import { redactSecrets } from '../lib/redact.js';
import { runInGroup } from './process-group.js';
import type { EffectivePower } from './resolve.js';

/** Result of one comeback check. */
export interface CheckResult {
  ok: boolean;
  detail: string;
  /** The check did not run, or was cut short because tbx is stopping: nothing may be concluded from it. */
  skipped?: boolean;
}

/** Try a TCP connection to `host:port` within `timeoutMs`. */
export function tcpCheck(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (r: CheckResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, detail: `tcp ${host}:${port}: no answer within ${timeoutMs / 1000} s` }));
    socket.once('connect', () => done({ ok: true, detail: `tcp ${host}:${port} accepted a connection` }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, detail: `tcp ${host}:${port}: ${e.code ?? e.message}` }));
  });
}

/** The check a box would get, in words (`tcp 10.0.0.10:22` or the expanded command line), for plans and logs. */
export function describeCheck(power: EffectivePower, ip: string, argv: string[] | undefined): string {
  if (power.check) return `tcp ${ip}:${power.check.tcp}`;
  return argv ? quoteArgv(argv) : 'none';
}

/** An argv as one line, quoting the arguments that hold spaces or quotes. */
export function quoteArgv(argv: string[]): string {
  return argv.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

/**
 * One comeback check of a box: tbx's own TCP connect (`check: {tcp: N}`) or the expanded
 * `checkCommand` (exit 0 = up, with tbx's environment), run in its own process group and
 * killed with it at `timeoutMs`. A failed check's detail ends with the command's last output
 * line, secrets masked. A check cut short because tbx is stopping is `skipped`: it proves nothing.
 * Undefined when the box has no check configured.
 */
export async function runCheck(power: EffectivePower, ip: string, argv: string[] | undefined, timeoutMs: number): Promise<CheckResult | undefined> {
  if (power.check) return tcpCheck(ip, power.check.tcp, timeoutMs);
  if (!argv) return undefined;
  const r = await runInGroup(argv, timeoutMs);
  if (r.exitCode === 0) return { ok: true, detail: `${argv[0]} exited 0` };
  const why = r.interruptedBy ? `interrupted (${r.interruptedBy})` : r.timedOut ? `timed out after ${timeoutMs / 1000} s` : (r.startError ?? `exit code ${r.exitCode ?? r.signal ?? 'none'}`);
  // The last line usually says why (ssh: connect to host ... refused); it reaches notes and webhooks, so masked.
  const last = redactSecrets(r.output).trim().split('\n').at(-1)?.slice(-200);
  return { ok: false, detail: redactSecrets(`${argv[0]}: ${why}`) + (last ? ` (${last})` : ''), ...(r.interruptedBy ? { skipped: true } : {}) };
}

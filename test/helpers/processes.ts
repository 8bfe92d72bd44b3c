import { readdir, readFile } from 'node:fs/promises';

/** A process as Linux's /proc/<pid>/stat shows it. */
interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
}

async function stat(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  // The command name in parentheses may hold spaces; the fields after the last ')' do not.
  const [state, , pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: state!, pgrp: Number(pgrp) };
}

/** True when `pid` exists and is not a zombie (a killed process its parent has not reaped yet). */
export async function isRunning(pid: number): Promise<boolean> {
  const s = await stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** The pids of the running (non-zombie) processes in process group `pgid`. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const stats = await Promise.all(pids.map(stat));
  return stats.filter((s): s is ProcStat => s !== undefined && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X').map((s) => s.pid);
}

/** Kill `pid` if it still exists (cleanup after a failed test; never throws). */
export function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Wait until `pids` and process group `pgid` have no running process, at most `waitMs`.
 * For a process that was sent SIGKILL: the signal is pending at once, but the process ends
 * when the kernel next schedules it. Returns what still runs (empty: all gone).
 */
export async function survivors(pids: number[], pgid: number, waitMs = 5000): Promise<number[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const alive = [...new Set([...(await Promise.all(pids.map(async (p) => ((await isRunning(p)) ? [p] : [])))).flat(), ...(await groupMembers(pgid))])];
    if (!alive.length || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}

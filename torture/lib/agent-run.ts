import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { packageRoot, tbxBin } from '../../lib/package-root.js';
import { agentArgs, type AgentBox } from '../../test/helpers/agent-box.js';
import type { Shares } from '../../test/helpers/shares.js';

/** How one run of the real agent ended. */
export interface AgentRun {
  exitCode: number | undefined;
  /** 'SIGKILL' when the suite killed it before it exited on its own. */
  signal: string | undefined;
  ms: number;
  all: string;
  /** With `crashAt` or `stepLog`: the commit steps it made (`<n> <op> <path> [<to>]`), the last one not run when killed. */
  steps: string[];
}

/** When to kill the agent: after a delay, right before its n-th commit step, or never. */
export interface KillPlan {
  afterMs?: number;
  /** Kill this long after its first commit step (when it starts acting on the share, whatever its start-up took). */
  afterActingMs?: number;
  crashAt?: number;
  /** With `crashAt`: count only the commit steps whose log line matches. */
  match?: RegExp;
  /** Record the commit steps (a calibration run); implied by `crashAt`. */
  stepLog?: boolean;
}

/**
 * Run the real `tbx agent` of `box` as a child process (as a box's maintenance image would),
 * optionally SIGKILLing it after `afterMs` or right before commit step `crashAt` (of those
 * matching `match`; torture/lib/crash-hook). Never throws on exit codes or signals.
 */
export async function runAgentChild(box: AgentBox, shares: Shares, kill: KillPlan = {}, extra: string[] = [], env: Record<string, string> = {}): Promise<AgentRun> {
  const stepFile = join(box.root, 'crash-steps.log');
  await rm(stepFile, { force: true });
  const hook = pathToFileURL(join(packageRoot(), 'dist', 'torture', 'lib', 'crash-hook.js')).href;
  const hookEnv: Record<string, string> = {};
  if (kill.crashAt || kill.stepLog || kill.afterActingMs !== undefined) hookEnv.TBX_TORTURE_CRASH_LOG = stepFile;
  if (kill.crashAt) hookEnv.TBX_TORTURE_CRASH_AT = String(kill.crashAt);
  if (kill.crashAt && kill.match) hookEnv.TBX_TORTURE_CRASH_MATCH = kill.match.source;
  const started = Date.now();
  const child = execa(process.execPath, ['--import', hook, tbxBin(), ...agentArgs(box, shares, extra)], {
    reject: false,
    all: true,
    env: { TBX_LOG_LEVEL: 'warn', TBX_LOG_FORMAT: 'json', TBX_CONFIG: '', TBX_FLEET: '', ...hookEnv, ...env },
  });
  let timer = kill.afterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), kill.afterMs) : undefined;
  let exited = false;
  if (kill.afterActingMs !== undefined) {
    void (async () => {
      while (!exited && !(await stat(stepFile).then((st) => st.size > 0, () => false))) await new Promise((r) => setTimeout(r, 5));
      if (!exited) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterActingMs);
    })();
  }
  const r = await child;
  exited = true;
  clearTimeout(timer);
  const steps = (await readFile(stepFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { exitCode: r.exitCode ?? undefined, signal: r.signal ?? undefined, ms: Date.now() - started, all: r.all ?? '', steps };
}

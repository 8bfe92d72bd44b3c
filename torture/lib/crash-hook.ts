/**
 * Preloaded into a child `tbx` (`node --import <this file> bin/tbx.js ...`) by the crash
 * suites, to kill it at an exact commit step instead of at a random moment: it counts the
 * main thread's file-system commit steps (`rename`, `link`, `unlink` of fs/promises) and
 *
 * - with `TBX_TORTURE_CRASH_AT=<n>` SIGKILLs its own process right before step n runs
 *   (so the step never happens, as if the power switch had been pulled there, minus page
 *   cache loss); with `TBX_TORTURE_CRASH_MATCH=<regex>` too, n counts only the steps whose
 *   log line matches (so timer-driven steps such as progress.json writes do not shift it);
 * - with `TBX_TORTURE_CRASH_LOG=<file>` appends one line per step (`<n> <op> <path> [<to>] @<ms>`,
 *   ms since the process started), which is how a calibration run lists the steps an
 *   operation takes and when it starts acting.
 *
 * Every step still runs the real fs call: nothing is faked, the process only dies earlier.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const crashAt = Number(process.env.TBX_TORTURE_CRASH_AT ?? 0);
const logFile = process.env.TBX_TORTURE_CRASH_LOG;
const match = process.env.TBX_TORTURE_CRASH_MATCH ? new RegExp(process.env.TBX_TORTURE_CRASH_MATCH) : undefined;

if (isMainThread && (crashAt > 0 || logFile)) {
  let step = 0;
  let matched = 0;
  const counted = (op: 'rename' | 'link' | 'unlink') => {
    const real = fs.promises[op] as (...args: unknown[]) => Promise<void>;
    (fs.promises as unknown as Record<string, unknown>)[op] = (...args: unknown[]) => {
      step++;
      const line = `${step} ${op} ${args.slice(0, op === 'unlink' ? 1 : 2).map(String).join(' ')}`;
      if (logFile) fs.appendFileSync(logFile, `${line} @${Math.round(performance.now())}\n`);
      if (!match || match.test(line)) matched++;
      if (matched === crashAt) process.kill(process.pid, 'SIGKILL');
      return real(...args);
    };
  };
  counted('rename');
  counted('link');
  counted('unlink');
  // ES modules import named bindings of builtins: make them see the counted functions too.
  syncBuiltinESMExports();
}

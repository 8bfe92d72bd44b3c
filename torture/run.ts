import { runBadInput } from './bad-input/run.js';
import { runReconcileCrashes } from './crash/reconcile.js';
import { runStatusPushCrashes } from './crash/status-push.js';
import { runAgentLoad } from './load/agents.js';

/**
 * `npm run torture [-- --short]`: the safety proofs of issue 5 as figures. Exits non-zero if
 * any case lost data, changed a share, or reported success on incomplete data.
 */
async function main(): Promise<number> {
  const short = process.argv.includes('--short');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const started = Date.now();
  let failures = 0;
  const suites: Record<string, () => Promise<{ failures: number }>> = {
    'bad-input': () => runBadInput({ workers: 2 }),
    'crash-reconcile': () => runReconcileCrashes(short ? 10 : 100),
    'crash-status-push': () => runStatusPushCrashes(short ? 10 : 50),
    'load-agents': () => runAgentLoad(short ? 50 : 200),
  };
  for (const [name, run] of Object.entries(suites)) {
    if (only && only !== name) continue;
    failures += (await run()).failures;
  }
  process.stdout.write(`\ntorture ${short ? '(short) ' : ''}finished in ${((Date.now() - started) / 1000).toFixed(0)} s: ${failures} failure(s)\n`);
  return failures ? 1 : 0;
}

process.exitCode = await main();

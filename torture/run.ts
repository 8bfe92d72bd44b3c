import { runBadInput } from './bad-input/run.js';

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
  };
  for (const [name, run] of Object.entries(suites)) {
    if (only && only !== name) continue;
    failures += (await run()).failures;
  }
  process.stdout.write(`\ntorture ${short ? '(short) ' : ''}finished in ${((Date.now() - started) / 1000).toFixed(0)} s: ${failures} failure(s)\n`);
  return failures ? 1 : 0;
}

process.exitCode = await main();

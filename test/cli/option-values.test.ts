import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseNumberOption } from '../../cli/option-values.js';
import { runTbx } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('numeric option values: plain positive decimals pass, typos and 0 are refused with the flag named', () => {
  assert.equal(parseNumberOption('--interval', '2', { unit: 'seconds' }), 2);
  assert.equal(parseNumberOption('--interval', '0.3', { unit: 'seconds' }), 0.3);
  for (const bad of ['abc', '0', '-1', '', ' ', '1e3', '0x10', 'Infinity', '2s']) {
    assert.throws(() => parseNumberOption('--interval', bad, { unit: 'seconds' }), { message: `--interval: expected a positive number of seconds, got '${bad}'` }, bad);
  }
});

test('numeric option values: whole numbers, zero and a maximum only where the option allows them', () => {
  assert.throws(() => parseNumberOption('--interval', '0', { unit: 'seconds', whole: true }), { message: "--interval: expected a positive whole number of seconds, got '0'" });
  assert.throws(() => parseNumberOption('--limit', '1.5', { whole: true }), { message: "--limit: expected a positive whole number, got '1.5'" });
  assert.equal(parseNumberOption('--lock-wait', '0', { unit: 'seconds', whole: true, zero: true }), 0);
  assert.throws(() => parseNumberOption('--lock-wait', '-5', { unit: 'seconds', whole: true, zero: true }), { message: "--lock-wait: expected a whole number of seconds (0 or more), got '-5'" });
  assert.equal(parseNumberOption('--min-free', '100', { unit: 'percent', zero: true, max: 100 }), 100);
  assert.throws(() => parseNumberOption('--min-free', '101', { unit: 'percent', zero: true, max: 100 }), { message: "--min-free: expected a number of percent from 0 to 100, got '101'" });
});

test('a bad number on any command -> exit 1 with the flag and value named, before anything is read', async () => {
  const cases: [string[], string][] = [
    [['status', '--watch', '--interval', 'abc'], "--interval: expected a positive number of seconds, got 'abc'"],
    [['status', '--watch', '--interval', '0'], "--interval: expected a positive number of seconds, got '0'"],
    [['events', '--limit', 'abc'], "--limit: expected a positive whole number, got 'abc'"],
    [['plan', '--max-image-age', 'abc'], "--max-image-age: expected a positive number of days, got 'abc'"],
    [['reconcile', '--watch', '--interval', '0'], "--interval: expected a positive whole number of seconds, got '0'"],
    [['reconcile', '--webhook-retries', '0'], "--webhook-retries: expected a positive whole number, got '0'"],
    [['doctor', '--min-free', 'lots'], "--min-free: expected a number of percent from 0 to 100, got 'lots'"],
    [['image', 'gc', '--grace', '-1'], "--grace: expected a number of minutes (0 or more), got '-1'"],
  ];
  for (const [args, message] of cases) {
    const r = await runTbx(args);
    assert.equal(r.exitCode, 1, `tbx ${args.join(' ')}: ${r.all}`);
    assert.equal(r.stderr.trim(), `tbx: error: ${message}`, args.join(' '));
  }
});

test('a bad number in the config file -> exit 1 naming the file, the key and the value', async (t) => {
  const config = join(await tempDir(t), 'config.yaml');
  await writeFile(config, 'interval: 0\n');
  const r = await runTbx(['status'], { TBX_CONFIG: config });
  assert.equal(r.exitCode, 1);
  assert.equal(r.stderr.trim(), `tbx: error: config file ${config}: 'interval': --interval: expected a positive number of seconds, got '0'`);
});

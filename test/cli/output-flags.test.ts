import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runTbx } from '../helpers/cli.js';
import { backedUpSite } from '../helpers/story.js';
import { tempDir } from '../helpers/tmp.js';

test('-o json and -o yaml on status, events, history, plan, doctor and image ls -> one value; --json stays an alias', async (t) => {
  const s = await backedUpSite(await tempDir(t));
  const commands = [['status'], ['events'], ['history', 'tb-a'], ['plan'], ['doctor', '--mountinfo', '/nonexistent'], ['image', 'ls']];
  for (const args of commands) {
    const json = await runTbx([...args, '-o', 'json'], s.env);
    assert.ok(json.exitCode === 0 || (args[0] === 'doctor' && json.exitCode === 1), `${args.join(' ')}: ${json.all}`);
    const value = JSON.parse(json.stdout) as unknown;
    const yaml = parse((await runTbx([...args, '-o', 'yaml'], s.env)).stdout) as unknown;
    const alias = JSON.parse((await runTbx([...args, '--json'], s.env)).stdout) as unknown;
    if (args[0] === 'doctor') {
      // Free space and the clock move between runs; the checks and their verdicts do not.
      const names = (v: unknown) => (v as { name: string }[]).map((c) => c.name);
      assert.deepEqual(names(yaml), names(value), args.join(' '));
      assert.deepEqual(names(alias), names(value), args.join(' '));
    } else {
      assert.deepEqual(yaml, value, `${args.join(' ')} -o yaml`);
      assert.deepEqual(alias, value, `${args.join(' ')} --json`);
    }
  }
  const planFormat = JSON.parse((await runTbx(['plan', '--format', 'json'], s.env)).stdout) as unknown;
  assert.deepEqual(planFormat, JSON.parse((await runTbx(['plan', '-o', 'json'], s.env)).stdout), 'plan --format json is -o json');
  assert.match((await runTbx(['plan', '-o', 'markdown'], s.env)).stdout, /^### tbx plan: /m);
  const bad = await runTbx(['history', 'tb-a', '-o', 'xml'], s.env);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stderr, /option '-o, --output <format>' argument 'xml' is invalid\. Allowed choices are text, json, yaml/);
});

test('tbx --help has examples and points to docs/exit-codes.md; status, events, history, report and request --help state their exit codes', async () => {
  const root = await runTbx(['--help']);
  assert.equal(root.exitCode, 0);
  assert.match(root.stdout, /^Examples:$/m);
  assert.match(root.stdout, /docs\/exit-codes\.md/);
  for (const cmd of ['status', 'events', 'history', 'report', 'request', 'plan', 'validate', 'doctor', 'reconcile']) {
    assert.match((await runTbx([cmd, '--help'])).stdout, /^Exit codes: 0 /m, cmd);
  }
});

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { parse, stringify } from 'yaml';
import { applyConfig, knownKeys } from '../../cli/config-file.js';
import { CONFIG_KEYS } from '../../cli/config-keys.js';
import { buildProgram } from '../../cli/main.js';
import { MAN_SECTIONS } from '../../cli/man-sections.js';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { git } from '../helpers/git.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

test('config file < environment < flag: each layer overrides the one below', async (t) => {
  const root = await tempDir(t);
  const one = await makeFleetRepo(join(root, 'one'), { 'fleet.yaml': seedSite(), 'testboxes/tb-one.yaml': box('tb-one', '10.0.0.11') });
  const two = await makeFleetRepo(join(root, 'two'), { 'fleet.yaml': seedSite(), 'testboxes/tb-two.yaml': box('tb-two', '10.0.0.12') });
  const three = await makeFleetRepo(join(root, 'three'), { 'fleet.yaml': seedSite(), 'testboxes/tb-three.yaml': box('tb-three', '10.0.0.13') });
  const config = join(root, 'config.yaml');
  await writeFile(config, `fleet: ${one.bare}\nbackup: ${root}\nstate-dir: ${join(root, 'state')}\n`);
  const env = { TBX_CONFIG: config, TBX_STATE_DIR: '' };
  const fromFile = await runTbx(['status', '-o', 'json'], { ...env });
  assert.equal(fromFile.exitCode, 0, fromFile.all);
  assert.deepEqual((JSON.parse(fromFile.stdout) as { name: string }[]).map((r) => r.name), ['tb-one']);
  const fromEnv = await runTbx(['status', '-o', 'json'], { ...env, TBX_FLEET: two.bare });
  assert.deepEqual((JSON.parse(fromEnv.stdout) as { name: string }[]).map((r) => r.name), ['tb-two']);
  const fromFlag = await runTbx(['status', '-o', 'json', '--fleet', three.bare], { ...env, TBX_FLEET: two.bare });
  assert.deepEqual((JSON.parse(fromFlag.stdout) as { name: string }[]).map((r) => r.name), ['tb-three']);
});

test('config file with an unknown key -> exit 1 naming the key and the file', async (t) => {
  const root = await tempDir(t);
  const config = join(root, 'config.yaml');
  await writeFile(config, 'flet: /srv/fleet.git\n');
  const r = await runTbx(['status'], { TBX_CONFIG: config });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, new RegExp(`unknown key 'flet' in config file ${config}`));
});

test('config file value outside an option\'s choices -> exit 1', async (t) => {
  const root = await tempDir(t);
  const config = join(root, 'config.yaml');
  await writeFile(config, 'output: fancy\n');
  const r = await runTbx(['status'], { TBX_CONFIG: config });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /'output' must be one of table, wide, json, yaml/);
});

test('CONFIG_KEYS lists exactly the option keys of the full command tree (add a new option there)', async () => {
  assert.deepEqual([...CONFIG_KEYS].sort(), [...knownKeys(await buildProgram())].sort());
});

/** The example config of docs/tbx.1.md (CONFIGURATION), as written there. */
function documentedConfig(): Record<string, unknown> {
  const block = /```yaml\n([\s\S]*?)```/.exec(MAN_SECTIONS['']!.CONFIGURATION!)![1]!;
  return parse(block) as Record<string, unknown>;
}

test('the documented config file -> every command, loaded alone as a run loads it, accepts it', async () => {
  const config = documentedConfig();
  assert.ok('metrics-file' in config && 'webhook-url' in config, 'the example has keys only reconcile knows');
  const leaves: string[][] = [];
  const walk = (cmd: Command, path: string[]) => {
    const subs = (cmd.commands as readonly Command[]).filter((c) => c.name() !== 'help');
    if (!subs.length && path.length) leaves.push(path);
    for (const c of subs) walk(c, [...path, c.name()]);
  };
  walk(await buildProgram(), []);
  assert.ok(leaves.length >= 20, leaves.join(' '));
  for (const path of leaves) {
    const program = await buildProgram(['node', 'tbx', ...path]);
    let cmd: Command = program;
    for (const name of path) cmd = (cmd.commands as readonly Command[]).find((c) => c.name() === name)!;
    assert.doesNotThrow(() => applyConfig(program, cmd, config, '/etc/tbx/config.yaml'), `tbx ${path.join(' ')}`);
  }
});

test('a full config (site, state, metrics, webhook) -> status, plan, doctor, events, history, report, validate, init site, request, image ls and verify all run', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-one.yaml': box('tb-one', '10.0.0.11') });
  await git(repo.work, ['config', 'user.name', 'Ada Admin']);
  await git(repo.work, ['config', 'user.email', 'ada@lab.test']);
  const config = join(root, 'config.yaml');
  await writeFile(config, stringify({ fleet: repo.bare, tftp: shares.tftp, backup: shares.backup, 'state-dir': shares.state, 'log-level': 'warn', 'metrics-file': join(root, 'tbx.prom'), 'webhook-url': 'http://127.0.0.1:9/hook' }));
  const env = { TBX_CONFIG: config };
  const runs: [string[], number][] = [
    [['status'], 0],
    [['plan'], 0],
    [['events'], 0],
    [['history', 'tb-one'], 0],
    [['report', '--out', join(root, 'report')], 0],
    [['validate', repo.work], 0],
    [['init', 'site', '--dry-run', '--pxelinux-dir', join(root, 'none'), '--modules-dir', join(root, 'none')], -1],
    [['request', 'tb-one', 'refresh-info', '-C', repo.work], 0],
    [['image', 'ls'], 0],
    [['verify'], 0],
    [['doctor', '--mountinfo', join(root, 'none')], -1],
  ];
  for (const [args, code] of runs) {
    const r = await runTbx(args, env);
    assert.doesNotMatch(r.stderr, /config file/, `tbx ${args.join(' ')}: ${r.all}`);
    if (code >= 0) assert.equal(r.exitCode, code, `tbx ${args.join(' ')}: ${r.all}`);
  }
  // The values were used, not just tolerated: status read the fleet named in the file.
  assert.match((await runTbx(['status'], env)).stdout, /tb-one/);
});

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
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

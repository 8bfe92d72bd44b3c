import assert from 'node:assert/strict';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTbx } from '../../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../../helpers/fleet-repo.js';
import { tempDir } from '../../helpers/tmp.js';

async function broken(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t);
  return makeFleetRepo(root, {
    'fleet.yaml': seedSite(),
    'testboxes/tb-a.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: tb-a\nip: 10.0.0.300\n',
    'testboxes/tb-b.yaml': box('tb-b', '10.0.0.2'),
  });
}

test('validate --format github -> an ::error annotation on the file and line of the bad value; exit 1', async (t) => {
  const repo = await broken(t);
  const r = await runTbx(['validate', '--format', 'github', repo.work]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stdout, /^::error file=testboxes\/tb-a\.yaml,line=4,col=5,title=tbx schema::.*ip/m);
});

test('validate --format json -> valid flag, box count and positioned diagnostics', async (t) => {
  const repo = await broken(t);
  const r = await runTbx(['validate', '--format', 'json', repo.work]);
  assert.equal(r.exitCode, 1);
  const out = JSON.parse(r.stdout) as { valid: boolean; boxes: number; diagnostics: { file: string; line: number; severity: string }[] };
  assert.equal(out.valid, false);
  assert.equal(out.boxes, 1);
  assert.deepEqual(out.diagnostics.map((d) => [d.file, d.line, d.severity]), [['testboxes/tb-a.yaml', 4, 'error']]);
});

test('validate a good fleet -> exit 0 in every format, no annotations', async (t) => {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-b.yaml': box('tb-b', '10.0.0.2') });
  for (const f of ['text', 'json', 'github']) {
    const r = await runTbx(['validate', '--format', f, repo.work]);
    assert.equal(r.exitCode, 0, `${f}: ${r.all}`);
    if (f === 'github') assert.equal(r.stdout, '');
  }
});

test('validate --format github fleet/ (the help\'s example) -> annotations on fleet/testboxes/<box>.yaml, relative to the workspace', async (t) => {
  const repo = await broken(t);
  const workspace = join(repo.work, '..');
  await rename(repo.work, join(workspace, 'fleet'));
  const r = await runTbx(['validate', '--format', 'github', 'fleet/'], { GITHUB_WORKSPACE: '' }, { cwd: workspace });
  assert.equal(r.exitCode, 1, r.all);
  assert.match(r.stdout, /^::error file=fleet\/testboxes\/tb-a\.yaml,line=4,col=5,/m);
  const gh = await runTbx(['validate', '--format', 'github', join(workspace, 'fleet')], { GITHUB_WORKSPACE: workspace });
  assert.match(gh.stdout, /^::error file=fleet\/testboxes\/tb-a\.yaml,/m, 'relative to $GITHUB_WORKSPACE when set');
});

test('validate without DIR -> the current directory, not $TBX_FLEET (a bare repo or URL on a reconciler host)', async (t) => {
  const repo = await broken(t);
  const r = await runTbx(['validate'], { TBX_FLEET: 'ssh://git.lab/fleet.git' }, { cwd: repo.work });
  assert.equal(r.exitCode, 1);
  assert.match(r.stdout, /^testboxes\/tb-a\.yaml:4:5: error: /m);
  assert.match(r.stdout, /fleet is invalid: 1 error/);
});

test('validate a missing directory or one without fleet.yaml -> exit 1 saying which', async (t) => {
  const root = await tempDir(t);
  const none = await runTbx(['validate', join(root, 'nope')]);
  assert.equal(none.exitCode, 1);
  assert.equal(none.stderr.trim(), `tbx: error: no such directory: ${join(root, 'nope')}`);
  await mkdir(join(root, 'empty'));
  const empty = await runTbx(['validate', '--format', 'github', join(root, 'empty')]);
  assert.equal(empty.exitCode, 1);
  assert.equal(empty.stderr.trim(), `tbx: error: not a fleet checkout (no fleet.yaml): ${join(root, 'empty')}`);
  assert.equal((await runTbx(['validate'], {}, { cwd: root })).stderr.trim(), 'tbx: error: not a fleet checkout (no fleet.yaml): .');
});

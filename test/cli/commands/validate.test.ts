import assert from 'node:assert/strict';
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

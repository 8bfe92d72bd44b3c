import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTbx } from '../../helpers/cli.js';
import { backedUpSite } from '../../helpers/story.js';
import { tempDir } from '../../helpers/tmp.js';

test('history of a backed-up box -> who asked, who approved with the PR, agent times, digests and the images', async (t) => {
  const s = await backedUpSite(await tempDir(t));
  const r = await runTbx(['history', 'tb-a'], s.env);
  assert.equal(r.exitCode, 0, r.all);
  const out = r.stdout;
  assert.match(out, /^History of tb-a \(10\.165\.98\.230\)$/m);
  assert.match(out, /^request b-1: backup$/m);
  assert.match(out, /^ {2}asked {6}\S+ \S+ {2}by Ada Admin <ada@lab\.test> {2}[0-9a-f]{10} "Back up tb-a before the upgrade"$/m);
  assert.match(out, /^ {2}approved {3}\S+ \S+ {2}by Rex Reviewer <rex@lab\.test> {2}merge [0-9a-f]{10} {2}PR #7$/m);
  assert.match(out, /^ {2}attempt 1 {2}Succeeded agent started 2026-11-25 10:00:00, finished 2026-11-25 10:03:00/m);
  assert.match(out, new RegExp(`sda: 2.0 KiB in 2.5s \\(sda.gz\\), sha256 ${s.digest}`));
  assert.match(out, /^ {2}result {5}Succeeded$/m);
  assert.match(out, /^Images on the backup share \(10\.165\.98\.230\/\):$/m);
  assert.match(out, new RegExp(`^ {2}sda {6}- {5}sda\\.gz .* 512 B {4}${s.digest}$`, 'm'));
});

test('history --json -> the same facts as one object', async (t) => {
  const s = await backedUpSite(await tempDir(t));
  const v = JSON.parse((await runTbx(['history', 'tb-a', '--json'], s.env)).stdout) as { box: string; requests: { request: string; merged: { author: string; pr: string } }[]; images: { ref: string }[] };
  assert.equal(v.box, 'tb-a');
  assert.equal(v.requests[0]!.merged.author, 'Rex Reviewer');
  assert.equal(v.requests[0]!.merged.pr, '#7');
  assert.deepEqual(v.images.map((i) => i.ref), ['sda.gz']);
});

test('history of a box that never existed -> exit 1', async (t) => {
  const s = await backedUpSite(await tempDir(t));
  const r = await runTbx(['history', 'tb-zz'], s.env);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /no testbox tb-zz/);
});

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { A_IP, chunkedSite } from '../../helpers/chunked-site.js';
import { runTbx } from '../../helpers/cli.js';
import { box } from '../../helpers/fleet-repo.js';
import { git } from '../../helpers/git.js';
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
  assert.match(out, /^ {2}attempt 1 {2}Succeeded agent started 2026-11-25 10:00:00Z, finished 2026-11-25 10:03:00Z/m);
  assert.match(out, new RegExp(`sda: 2.0 KiB in 2.5s \\(sda.gz\\), sha256 ${s.digest}`));
  assert.match(out, /^ {2}result {5}Succeeded$/m);
  assert.match(out, /^Images on the backup share \(10\.165\.98\.230\/\):$/m);
  assert.match(out, new RegExp(`^ {2}sda {6}- {5}sda\\.gz .* - {6}512 B {4}${s.digest}$`, 'm'));
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

test('history of a box with two chunked generations -> every generation listed with disk size, stored bytes and digest', async (t) => {
  const s = await chunkedSite(await tempDir(t));
  const r = await runTbx(['history', 'tb-a'], s.env);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stdout, /^ {2}DEVICE +GEN +IMAGE +TAKEN +SIZE +STORED +DIGEST \(RAW DISK\)$/m);
  const rows = r.stdout.split('\n').filter((l) => /^ {2}sda +\d/.test(l));
  assert.equal(rows.length, 2, r.stdout);
  assert.match(rows[0]!, new RegExp(`^ {2}sda +1 +images/sda/0+1\\.tbxi +\\S+ \\S+ +4\\.0 MiB +\\S+ \\S+ +${s.first.digest}$`));
  // backup-again of an unchanged disk: the same 4 MiB disk, next to nothing new stored, the same digest.
  assert.match(rows[1]!, new RegExp(`^ {2}sda +2 +images/sda/0+2\\.tbxi +\\S+ \\S+ +4\\.0 MiB +${s.second.storedBytes} B +${s.second.digest}$`));
  assert.ok(s.second.storedBytes! < 4096, `backup-again stored ${s.second.storedBytes} bytes`);
  assert.match(r.stdout, /STORED: bytes the backup added to the share/);
  assert.match(r.stdout, /sda: \S+ \S+ in \S+s \(images\/sda\/0+2\.tbxi\), \d+ B stored, digest blake3-tree:/);
  const json = JSON.parse((await runTbx(['history', 'tb-a', '--json'], s.env)).stdout) as { images: { generation: number; digest: string; logicalBytes: number }[] };
  assert.deepEqual(json.images.map((i) => [i.generation, i.digest, i.logicalBytes]), [[1, s.first.digest, s.diskBytes], [2, s.second.digest, s.diskBytes]]);
});

test('history of a request committed at 12:00+02:00 -> shown as 10:00:00Z, in UTC like the agent times', async (t) => {
  const s = await chunkedSite(await tempDir(t));
  await s.repo.pull();
  await writeFile(join(s.repo.work, 'testboxes', 'tb-a.yaml'), stringify(box('tb-a', A_IP, { disks: ['sda'], action: 'refresh-info', request: 'i-1' })));
  await git(s.repo.work, ['commit', '--quiet', '-am', 'tb-a: refresh-info', '--date', '2026-11-25T12:00:00+02:00']);
  await git(s.repo.work, ['push', '--quiet', 'origin', 'HEAD:main']);
  const r = await runTbx(['history', 'tb-a'], s.env);
  assert.match(r.stdout, /^ {2}asked {6}2026-11-25 10:00:00Z {2}by Ada Admin/m);
  assert.doesNotMatch(r.stdout, /\d\d:\d\d:\d\d {2}by/, 'every time carries its zone');
});

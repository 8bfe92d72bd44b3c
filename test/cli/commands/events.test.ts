import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTbx } from '../../helpers/cli.js';
import { box } from '../../helpers/fleet-repo.js';
import { backedUpSite } from '../../helpers/story.js';
import { tempDir } from '../../helpers/tmp.js';

test('events -> request, approval, reconciler decision, agent lines and result in time order', async (t) => {
  const s = await backedUpSite(await tempDir(t));
  await s.repo.commit({ 'testboxes/tb-b.yaml': box('tb-b', '10.165.98.231', { action: 'refresh-info', request: 'i-1' }) }, 'tb-b: refresh-info');
  assert.equal((await runTbx(['reconcile'], s.env)).exitCode, 0);
  const r = await runTbx(['events', '-o', 'json'], s.env);
  assert.equal(r.exitCode, 0, r.all);
  const events = JSON.parse(r.stdout) as { time: string; box: string; kind: string; who: string; message: string }[];
  const kinds = events.filter((e) => e.box === 'tb-a').map((e) => e.kind);
  assert.ok(kinds.includes('request') && kinds.includes('approval') && kinds.includes('agent') && kinds.includes('result'), kinds.join(','));
  assert.deepEqual([...events].sort((a, b) => a.time.localeCompare(b.time)).map((e) => e.time), events.map((e) => e.time));
  assert.ok(events.some((e) => e.kind === 'approval' && e.who === 'Rex Reviewer' && /PR #7/.test(e.message)));
  assert.ok(events.some((e) => e.kind === 'agent' && e.message === "Executing 'backup'."));
  assert.ok(events.some((e) => e.kind === 'decision' && e.box === 'tb-b' && /^applied: \+ pxelinux\.cfg\/0AA562E7/.test(e.message)), 'the reconcile pass above was logged');
  const onlyA = await runTbx(['events', 'tb-a'], s.env);
  assert.doesNotMatch(onlyA.stdout, /tb-b/);
  assert.match(onlyA.stdout, /^TIME +BOX +KIND +WHO +MESSAGE$/m);
  const since = JSON.parse((await runTbx(['events', '--since', '2099-01-01', '-o', 'json'], s.env)).stdout) as unknown[];
  assert.equal(since.length, 0);
});

test('events --limit 1 -> only the newest event; an unknown box name -> exit 1', async (t) => {
  const s = await backedUpSite(await tempDir(t));
  const all = JSON.parse((await runTbx(['events', '-o', 'json'], s.env)).stdout) as { time: string }[];
  const one = JSON.parse((await runTbx(['events', '--limit', '1', '-o', 'json'], s.env)).stdout) as { time: string }[];
  assert.deepEqual(one, all.slice(-1));
  const r = await runTbx(['events', 'tb-zz'], s.env);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /no testbox tb-zz in the fleet \(boxes: tb-a, tb-b\)/);
});

test('a blocked box -> tbx events explains it once, however many passes see it; an invalid fleet adds nothing to the log', async (t) => {
  const s = await backedUpSite(await tempDir(t));
  await s.repo.commit({ 'testboxes/tb-b.yaml': box('tb-b', '10.165.98.231', { action: 'restore', request: 'r-1' }) }, 'tb-b: restore');
  for (let i = 0; i < 3; i++) assert.equal((await runTbx(['reconcile'], s.env)).exitCode, 0);
  assert.match((await runTbx(['events', 'tb-b'], s.env)).stdout, /decision +reconciler +blocked: restore requested but the backup share holds no image/);
  const logPath = join(s.shares.backup, 'tbx-events.jsonl');
  const log = (await readFile(logPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { box: string | null; op: string; result: string; detail: string });
  assert.deepEqual(log.filter((e) => e.op === 'hold').map((e) => [e.box, e.result, e.detail]), [['tb-b', 'blocked', 'restore requested but the backup share holds no image for this box; back it up first']]);
  const before = await readFile(logPath, 'utf8');
  await s.repo.commit({ 'testboxes/tb-b.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: tb-b\nip: 10.165.98.300\n' }, 'tb-b: typo');
  assert.equal((await runTbx(['reconcile'], s.env)).exitCode, 1);
  assert.equal(await readFile(logPath, 'utf8'), before, 'fail closed: an invalid pass writes nothing to the shares');
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computePlan } from '../../reconciler/compute-plan.js';
import type { Change, Plan } from '../../reconciler/plan-types.js';
import { desired, image, observed, ownConfig, site, staleOwnConfig, status, testbox } from '../helpers/builders.js';

const A = testbox('tb-a', '10.0.0.10', 'restore', 'r1');
const HEX_A = '0A00000A';

function only(plan: Plan, name = 'tb-a') {
  const b = plan.boxes.find((x) => x.name === name);
  assert.ok(b, `no plan for ${name}`);
  return b;
}
const ops = (changes: Change[]) => changes.map((c) => `${c.op}${'hex' in c ? ` ${c.hex}` : ''}`);

describe('computePlan: one box, table of outcomes', () => {
  const cases: { name: string; box: typeof A; world: Parameters<typeof observed>[0]; statuses?: ReturnType<typeof status>[]; outcome: string; ops: string[] }[] = [
    { name: 'restore requested, image present, no PXE file -> create', box: A, world: { boxes: { '10.0.0.10': { images: [image()] } } }, outcome: 'create', ops: [`write-pxe ${HEX_A}`] },
    { name: 'restore requested, no image on the share -> blocked, nothing written', box: A, world: {}, outcome: 'blocked', ops: [] },
    { name: 'restore requested, the newest image is unreadable -> blocked, never the older one in its place', box: A, world: { boxes: { '10.0.0.10': { images: [{ ...image(), newerDamaged: 'generation 2 (images/sda/00000002.tbxi) is damaged: checksum mismatch' }] } } }, outcome: 'blocked', ops: [] },
    { name: 'backup requested, an image already exists -> blocked (use backup-again)', box: testbox('tb-a', '10.0.0.10', 'backup', 'b1'), world: { boxes: { '10.0.0.10': { images: [image()] } } }, outcome: 'blocked', ops: [] },
    { name: 'backup requested, no image -> create', box: testbox('tb-a', '10.0.0.10', 'backup', 'b1'), world: {}, outcome: 'create', ops: [`write-pxe ${HEX_A}`] },
    { name: 'backup-again requested, image exists -> create', box: testbox('tb-a', '10.0.0.10', 'backup-again', 'b2'), world: { boxes: { '10.0.0.10': { images: [image()] } } }, outcome: 'create', ops: [`write-pxe ${HEX_A}`] },
    { name: 'refresh-info requested -> create', box: testbox('tb-a', '10.0.0.10', 'refresh-info', 'i1'), world: {}, outcome: 'create', ops: [`write-pxe ${HEX_A}`] },
    { name: 'pending request, own config already there -> keep, no write', box: A, world: { pxe: { '10.0.0.10': ownConfig(A) }, boxes: { '10.0.0.10': { images: [image()] } } }, outcome: 'keep', ops: [] },
    { name: 'pending request, own config for an older request -> update', box: A, world: { pxe: { '10.0.0.10': staleOwnConfig(A, 'r0') }, boxes: { '10.0.0.10': { images: [image()] } } }, outcome: 'update', ops: [`write-pxe ${HEX_A}`] },
    { name: 'request Succeeded, config still there -> delete', box: A, world: { pxe: { '10.0.0.10': ownConfig(A) } }, statuses: [status(A, 'Succeeded')], outcome: 'delete', ops: [`delete-pxe ${HEX_A}`] },
    { name: 'request Succeeded, no config -> done, nothing to do', box: A, world: {}, statuses: [status(A, 'Succeeded')], outcome: 'done', ops: [] },
    { name: 'Succeeded status of an older request -> the new request is pending (create)', box: A, world: { boxes: { '10.0.0.10': { images: [image()] } } }, statuses: [{ ...status(A, 'Succeeded'), request: 'r0' }], outcome: 'create', ops: [`write-pxe ${HEX_A}`] },
    { name: 'same request id but a different action -> not done (create)', box: A, world: { boxes: { '10.0.0.10': { images: [image()] } } }, statuses: [{ ...status(A, 'Succeeded'), action: 'backup' }], outcome: 'create', ops: [`write-pxe ${HEX_A}`] },
    { name: 'action none, own config left over -> delete', box: testbox('tb-a', '10.0.0.10'), world: { pxe: { '10.0.0.10': staleOwnConfig(A, 'r1') } }, outcome: 'delete', ops: [`delete-pxe ${HEX_A}`] },
    { name: 'action none, nothing there -> noop', box: testbox('tb-a', '10.0.0.10'), world: {}, outcome: 'noop', ops: [] },
    { name: 'action none, foreign config -> noop, left alone', box: testbox('tb-a', '10.0.0.10'), world: { pxe: { '10.0.0.10': 'DEFAULT hand-made\n' } }, outcome: 'noop', ops: [] },
    { name: 'pending request, foreign config in the way -> blocked, never overwritten', box: A, world: { pxe: { '10.0.0.10': 'DEFAULT hand-made\n' }, boxes: { '10.0.0.10': { images: [image()] } } }, outcome: 'blocked', ops: [] },
    { name: 'failed once of three -> keep config for the retry', box: A, world: { pxe: { '10.0.0.10': ownConfig(A) }, boxes: { '10.0.0.10': { images: [image()] } } }, statuses: [status(A, 'Failed', 1)], outcome: 'keep', ops: [] },
    { name: 'failed maxAttempts times -> stalled: config removed, note committed', box: A, world: { pxe: { '10.0.0.10': ownConfig(A) } }, statuses: [status(A, 'Failed', 3, { message: 'no share' })], outcome: 'stalled', ops: ['write-note', `delete-pxe ${HEX_A}`] },
    { name: 'attempt maxAttempts still running -> keep (the last allowed attempt may finish)', box: A, world: { pxe: { '10.0.0.10': ownConfig(A) }, boxes: { '10.0.0.10': { images: [image()] } } }, statuses: [status(A, 'Running', 3)], outcome: 'keep', ops: [] },
    { name: 'attempt past maxAttempts started, earlier ones never finished (boot loop) -> stalled: config removed, note committed', box: A, world: { pxe: { '10.0.0.10': ownConfig(A) } }, statuses: [status(A, 'Running', 4)], outcome: 'stalled', ops: ['write-note', `delete-pxe ${HEX_A}`] },
    { name: 'stalled and config already gone -> stalled, only the note', box: A, world: {}, statuses: [status(A, 'Failed', 3)], outcome: 'stalled', ops: ['write-note'] },
    { name: 'rescue requested -> create', box: testbox('tb-a', '10.0.0.10', 'rescue', 's1'), world: {}, outcome: 'create', ops: [`write-pxe ${HEX_A}`] },
    { name: 'rescue up (status Rescue) -> keep the config until action none', box: testbox('tb-a', '10.0.0.10', 'rescue', 's1'), world: { pxe: { '10.0.0.10': ownConfig(testbox('tb-a', '10.0.0.10', 'rescue', 's1')) } }, statuses: [status(testbox('tb-a', '10.0.0.10', 'rescue', 's1'), 'Rescue')], outcome: 'keep', ops: [] },
    { name: 'suspended box with a pending request -> suspended, nothing touched', box: { ...A, suspend: true }, world: { pxe: { '10.0.0.10': staleOwnConfig(A, 'r0') }, boxes: { '10.0.0.10': { images: [image()] } } }, outcome: 'suspended', ops: [] },
    { name: 'suspended box whose request is done -> suspended, config kept', box: { ...A, suspend: true }, world: { pxe: { '10.0.0.10': ownConfig(A) } }, statuses: [status(A, 'Succeeded')], outcome: 'suspended', ops: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const plan = computePlan(desired([c.box], { statuses: c.statuses ?? [] }), observed(c.world));
      const b = only(plan);
      assert.equal(b.outcome, c.outcome, b.reason);
      assert.deepEqual(ops(b.changes), c.ops);
      assert.ok(b.reason.length > 0, 'every decision carries a reason');
    });
  }
});

describe('computePlan: fleet-wide rules', () => {
  test('box deleted from the repo, its config remains -> delete', () => {
    const gone = testbox('tb-gone', '10.0.0.99', 'restore', 'r9');
    const plan = computePlan(desired([]), observed({ pxe: { '10.0.0.99': ownConfig(gone) } }));
    const b = only(plan, 'tb-gone');
    assert.equal(b.outcome, 'delete');
    assert.deepEqual(ops(b.changes), ['delete-pxe 0A000063']);
  });

  test('foreign hex-IP file of an unknown IP -> reported unmanaged, never touched', () => {
    const plan = computePlan(desired([]), observed({ pxe: { '10.0.0.77': 'LABEL x\n' } }));
    assert.deepEqual(plan.unmanaged, [{ hex: '0A00004D', ip: '10.0.0.77', box: null }]);
    assert.equal(plan.boxes.length, 0);
  });

  test('default missing -> created; present (even foreign) -> left alone', () => {
    assert.deepEqual(ops(computePlan(desired([]), observed({ hasDefault: false })).siteChanges), ['write-default']);
    assert.deepEqual(computePlan(desired([]), observed({ hasDefault: true })).siteChanges, []);
  });

  test('more pending than maxConcurrent -> the rest are queued in name order, with positions', () => {
    const boxes = ['tb-e', 'tb-b', 'tb-d', 'tb-a', 'tb-c'].map((n, i) => testbox(n, `10.0.1.${i + 1}`, 'backup', 'b1'));
    const plan = computePlan(desired(boxes, { site: site({ maxConcurrent: 2 }) }), observed());
    const outcome = Object.fromEntries(plan.boxes.map((b) => [b.name, b.outcome]));
    assert.deepEqual(outcome, { 'tb-a': 'create', 'tb-b': 'create', 'tb-c': 'queued', 'tb-d': 'queued', 'tb-e': 'queued' });
    assert.match(only(plan, 'tb-c').reason, /position 1/);
    assert.match(only(plan, 'tb-e').reason, /position 3/);
  });

  test('boxes already holding a config use up slots before new ones are admitted', () => {
    const busy = testbox('tb-z', '10.0.2.1', 'backup', 'b1');
    const fresh = testbox('tb-a', '10.0.2.2', 'backup', 'b1');
    const plan = computePlan(desired([busy, fresh], { site: site({ maxConcurrent: 1 }) }), observed({ pxe: { '10.0.2.1': ownConfig(busy) } }));
    assert.equal(only(plan, 'tb-z').outcome, 'keep');
    assert.equal(only(plan, 'tb-a').outcome, 'queued');
  });

  test('a config being deleted this pass frees its slot for a queued box', () => {
    const done = testbox('tb-a', '10.0.3.1', 'backup', 'b1');
    const next = testbox('tb-b', '10.0.3.2', 'backup', 'b1');
    const plan = computePlan(desired([done, next], { site: site({ maxConcurrent: 1 }), statuses: [status(done, 'Succeeded')] }), observed({ pxe: { '10.0.3.1': ownConfig(done) } }));
    assert.equal(only(plan, 'tb-a').outcome, 'delete');
    assert.equal(only(plan, 'tb-b').outcome, 'create');
  });

  test('same inputs in a different order -> the same plan (stable)', () => {
    const boxes = ['tb-c', 'tb-a', 'tb-b'].map((n, i) => testbox(n, `10.0.4.${i + 1}`, 'backup', 'b1'));
    const p1 = computePlan(desired(boxes, { site: site({ maxConcurrent: 1 }) }), observed());
    const p2 = computePlan(desired([...boxes].reverse(), { site: site({ maxConcurrent: 1 }) }), observed());
    assert.deepEqual(p1, p2);
  });

  test('disks listed -> disk-devices.lst written; disks removed -> only a list tbx wrote is deleted', () => {
    const withDisks = testbox('tb-a', '10.0.5.1', 'none', undefined, { disks: ['sda', 'nvme0n1'] });
    const p1 = computePlan(desired([withDisks]), observed());
    assert.deepEqual(only(p1).changes, [{ op: 'write-disk-list', box: 'tb-a', ip: '10.0.5.1', content: 'sda nvme0n1\n' }]);
    const noDisks = testbox('tb-a', '10.0.5.1');
    const owned = computePlan(desired([noDisks]), observed({ boxes: { '10.0.5.1': { diskList: { content: 'sda\n', ownedByTbx: true } } } }));
    assert.deepEqual(ops(only(owned).changes), ['delete-disk-list']);
    const foreign = computePlan(desired([noDisks]), observed({ boxes: { '10.0.5.1': { diskList: { content: 'sda\n', ownedByTbx: false } } } }));
    assert.deepEqual(only(foreign).changes, []);
  });
});

describe('computePlan: spooled statuses', () => {
  test('spooled Succeeded newer than git -> forward it, and the request counts as done', () => {
    const spooled = status(A, 'Succeeded');
    const plan = computePlan(desired([A]), observed({ pxe: { '10.0.0.10': ownConfig(A) }, boxes: { '10.0.0.10': { spooled } } }));
    assert.deepEqual(ops(only(plan).changes), ['forward-status', `delete-pxe ${HEX_A}`]);
  });

  test('spooled status already in git -> nothing to forward', () => {
    const s = status(A, 'Succeeded');
    const plan = computePlan(desired([A], { statuses: [s] }), observed({ boxes: { '10.0.0.10': { spooled: s } } }));
    assert.deepEqual(only(plan).changes, []);
  });

  test('spooled Running (agent still busy or crashed) -> never forwarded', () => {
    const plan = computePlan(desired([A]), observed({ pxe: { '10.0.0.10': ownConfig(A) }, boxes: { '10.0.0.10': { spooled: status(A, 'Running'), images: [image()] } } }));
    assert.deepEqual(only(plan).changes, []);
    assert.equal(only(plan).outcome, 'keep');
  });

  test('spooled result older than git -> git wins, nothing forwarded', () => {
    const old = status(A, 'Failed', 1);
    const fresh = status(A, 'Succeeded', 2);
    const plan = computePlan(desired([A], { statuses: [fresh] }), observed({ boxes: { '10.0.0.10': { spooled: old } } }));
    assert.deepEqual(only(plan).changes, []);
    assert.equal(only(plan).outcome, 'done');
  });
});

describe('computePlan: guardrails', () => {
  test('site suspended (spec.suspend) -> every box suspended, nothing changes, not even default', () => {
    const s = { ...site(), spec: { suspend: true } };
    const gone = testbox('tb-gone', '10.0.0.99', 'backup', 'r9');
    const plan = computePlan(desired([A], { site: s, statuses: [status(A, 'Succeeded')] }), observed({ hasDefault: false, pxe: { '10.0.0.10': ownConfig(A), '10.0.0.99': ownConfig(gone) } }));
    assert.deepEqual(plan.boxes.map((b) => b.outcome), ['suspended', 'suspended']);
    assert.deepEqual(plan.boxes.flatMap((b) => b.changes), []);
    assert.deepEqual(plan.siteChanges, []);
    assert.match(only(plan).reason, /would: delete/);
  });

  test('outside the maintenance windows -> new request held with the next opening; in-flight keeps going', () => {
    const s = site({ windows: ['* 22-23,0-5 * * 1-5'], timezone: 'UTC' });
    const fresh = testbox('tb-b', '10.0.0.11', 'backup', 'b1');
    const plan = computePlan(desired([A, fresh], { site: s }), observed({ now: '2026-11-24T12:00:00Z', pxe: { '10.0.0.10': ownConfig(A) }, boxes: { '10.0.0.10': { images: [image()] } } }));
    assert.equal(only(plan, 'tb-a').outcome, 'keep');
    assert.equal(only(plan, 'tb-b').outcome, 'held');
    assert.match(only(plan, 'tb-b').reason, /next opens 2026-11-24T22:00:00Z/);
    const night = computePlan(desired([fresh], { site: s }), observed({ now: '2026-11-24T23:30:00Z' }));
    assert.equal(only(night, 'tb-b').outcome, 'create');
  });

  test('windows are read in the site time zone', () => {
    const s = site({ windows: ['* 22-23 * * *'], timezone: 'Europe/Berlin' });
    const fresh = testbox('tb-b', '10.0.0.11', 'backup', 'b1');
    assert.equal(only(computePlan(desired([fresh], { site: s }), observed({ now: '2026-11-24T21:30:00Z' })), 'tb-b').outcome, 'create', '22:30 in Berlin');
    assert.equal(only(computePlan(desired([fresh], { site: s }), observed({ now: '2026-11-24T23:30:00Z' })), 'tb-b').outcome, 'held', '00:30 in Berlin');
    assert.equal(only(computePlan(desired([fresh], { site: s }), observed({ now: '2026-11-24T20:30:00Z' })), 'tb-b').outcome, 'held', '21:30 in Berlin');
  });

  test('box never reported back within actionTimeout -> Failed (Timeout) noted, config removed', () => {
    const plan = computePlan(desired([A]), observed({ pxe: { '10.0.0.10': ownConfig(A) }, pxeMtime: '2026-11-24T09:00:00Z', now: '2026-11-24T11:00:01Z', boxes: { '10.0.0.10': { images: [image()] } } }));
    const b = only(plan);
    assert.equal(b.outcome, 'stalled');
    assert.deepEqual(ops(b.changes), ['write-note', `delete-pxe ${HEX_A}`]);
    const note = (b.changes[0] as { note: { conditions: { type: string; reason: string }[] } }).note;
    assert.deepEqual([note.conditions[0]!.type, note.conditions[0]!.reason], ['Failed', 'Timeout']);
  });

  test('a box that keeps reporting (failed attempts) is not timed out', () => {
    const plan = computePlan(desired([A], { statuses: [{ ...status(A, 'Failed', 1), finishedAt: '2026-11-24T10:30:00Z' }] }), observed({ pxe: { '10.0.0.10': ownConfig(A) }, pxeMtime: '2026-11-24T08:00:00Z', now: '2026-11-24T11:00:00Z', boxes: { '10.0.0.10': { images: [image()] } } }));
    assert.equal(only(plan).outcome, 'keep');
  });

  test('request Failed on Timeout earlier -> stays ended, no new config', () => {
    const note = { apiVersion: 'tbx/v1' as const, kind: 'TestboxNote' as const, name: 'tb-a', request: 'r1', conditions: [{ type: 'Failed', reason: 'Timeout', message: 'no result', at: '2026-11-24T11:00:00Z' }] };
    const plan = computePlan(desired([A], { notes: [note] }), observed({ boxes: { '10.0.0.10': { images: [image()] } } }));
    assert.equal(only(plan).outcome, 'stalled');
    assert.deepEqual(only(plan).changes, []);
  });
});

describe('computePlan: the agent still reporting', () => {
  test('spooled result while the agent is still pushing it -> not forwarded yet, but counts as done', () => {
    const spooled = status(A, 'Succeeded');
    const plan = computePlan(desired([A]), observed({ now: '2026-11-24T10:02:00Z', pxe: { '10.0.0.10': ownConfig(A) }, boxes: { '10.0.0.10': { spooled, pushingUntil: '2026-11-24T10:10:00Z' } } }));
    assert.deepEqual(ops(only(plan).changes), [`delete-pxe ${HEX_A}`]);
  });
  test('push marker past its deadline (agent died) -> forwarded', () => {
    const spooled = status(A, 'Succeeded');
    const plan = computePlan(desired([A]), observed({ now: '2026-11-24T10:20:00Z', boxes: { '10.0.0.10': { spooled, pushingUntil: '2026-11-24T10:10:00Z' } } }));
    assert.deepEqual(ops(only(plan).changes), ['forward-status']);
  });
});

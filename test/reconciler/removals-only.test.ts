import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computePlan } from '../../reconciler/compute-plan.js';
import { removalsOnly } from '../../reconciler/removals-only.js';
import { desired, observed, ownConfig, status, testbox } from '../helpers/builders.js';

test('backup share unusable -> ending requests is kept, starting or refreshing one is held with the reason', () => {
  const spent = testbox('tb-a', '10.0.0.10', 'backup', 'r1');
  const fresh = testbox('tb-b', '10.0.0.11', 'backup', 'r2', { disks: ['sda'] });
  const done = testbox('tb-c', '10.0.0.12', 'refresh-info', 'r3');
  const full = computePlan(
    desired([spent, fresh, done], { statuses: [status(spent, 'Failed', 3), status(done, 'Succeeded')] }),
    observed({ pxe: { '10.0.0.10': ownConfig(spent), '10.0.0.12': ownConfig(done) } }),
  );
  const plan = removalsOnly(full, 'backup share /b has no testbox-backup marker file');
  const by = (n: string) => plan.boxes.find((b) => b.name === n)!;
  assert.deepEqual(by('tb-a').changes.map((c) => c.op), ['write-note', 'delete-pxe'], 'Stalled: note and removal kept');
  assert.equal(by('tb-a').outcome, 'stalled');
  assert.deepEqual(by('tb-b').changes, [], 'no config and no disk list without the share');
  assert.equal(by('tb-b').outcome, 'held');
  assert.match(by('tb-b').reason, /^backup share \/b has no testbox-backup marker file; only removals are applied until it is back \(would: create, /);
  assert.deepEqual(by('tb-c').changes.map((c) => c.op), ['delete-pxe'], 'a finished request still has its config removed');
  assert.ok(full.boxes.find((b) => b.name === 'tb-b')!.changes.length > 0, 'the full plan would have written tb-b');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BoxPlan, Plan } from '../../reconciler/plan-types.js';
import type { Site, Testbox, TestboxStatus } from '../../schema/types.js';
import { detectEvents } from '../../telemetry/transitions.js';

const site = { policy: { maxConcurrent: 10, maxAttempts: 3 } } as Site;
const tb = (request = 'r1'): Testbox => ({ apiVersion: 'tbx/v1', kind: 'Testbox', name: 'tb-a', ip: '10.0.0.5', action: 'restore', request, suspend: false });
const st = (phase: TestboxStatus['phase'], attempt = 1, extra: Partial<TestboxStatus> = {}): TestboxStatus => ({
  apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-a', ip: '10.0.0.5', request: 'r1', action: 'restore', attempt, phase,
  startedAt: '2026-11-25T10:00:00Z', finishedAt: '2026-11-25T10:05:00Z', ...extra,
});
const plan = (outcome: BoxPlan['outcome'], changes: BoxPlan['changes'] = []): Plan => ({
  revision: 'abc', siteChanges: [], unmanaged: [], diagnostics: [], maxConcurrent: 10, awaitingComeback: [],
  boxes: [{ name: 'tb-a', ip: '10.0.0.5', hex: '0A000005', action: 'restore', request: 'r1', outcome, reason: '', phase: null, attempt: null, changes }],
});
const desired = (status?: TestboxStatus, box = tb()) => ({ site, boxes: [box], statuses: new Map(status ? [['tb-a', status]] : []) });

test('request Succeeded in git, not reported yet -> one Succeeded event with duration and bytes', () => {
  const s = st('Succeeded', 1, { disks: [{ device: 'sda', bytes: 1000, sha256: 'a'.repeat(64), seconds: 3 }] });
  const { events, seen } = detectEvents(plan('done'), desired(s), {});
  assert.equal(events.length, 1);
  assert.equal(events[0]!.type, 'Succeeded');
  assert.equal(events[0]!.durationSeconds, 300);
  assert.equal(events[0]!.bytes, 1000);
  assert.match(events[0]!.text, /^tb-a: restore Succeeded \(request r1, attempt 1 of 3\)/);
  assert.equal(detectEvents(plan('done'), desired(s), seen).events.length, 0, 'reported once');
});

test('last attempt Failed and the plan says stalled -> Failed then Stalled, each once', () => {
  const s = st('Failed', 3, { exitCode: 20, message: 'restore failed' });
  const first = detectEvents(plan('stalled'), desired(s), {});
  assert.deepEqual(first.events.map((e) => e.type), ['Failed', 'Stalled']);
  assert.equal(first.events[0]!.reason, 'restore-failed');
  assert.equal(detectEvents(plan('stalled'), desired(s), first.seen).events.length, 0);
});

test('status forwarded from the share by this pass -> counts like one in git', () => {
  const s = st('Failed', 1, { exitCode: 19 });
  const { events } = detectEvents(plan('keep', [{ op: 'forward-status', box: 'tb-a', status: s }]), desired(undefined), {});
  assert.deepEqual(events.map((e) => [e.type, e.reason]), [['Failed', 'backup-failed']]);
});

test('status of an older request or a Running one -> no event', () => {
  assert.equal(detectEvents(plan('create'), desired(st('Succeeded', 1, { request: 'r0' })), {}).events.length, 0);
  assert.equal(detectEvents(plan('keep'), desired(st('Running')), {}).events.length, 0);
});

test('the plan records Unverified (box did not come back) -> one Unverified event with the reason', () => {
  const s = st('Succeeded', 1);
  const note = { apiVersion: 'tbx/v1' as const, kind: 'TestboxNote' as const, name: 'tb-a', request: 'r1', conditions: [{ type: 'Unverified', reason: 'ComebackTimeout', message: 'did not come back within 15 min', at: '2026-11-25T10:21:00Z' }] };
  const p = plan('done', [{ op: 'write-note', box: 'tb-a', action: 'restore', note }]);
  const first = detectEvents(p, desired(s), {});
  const unverified = first.events.filter((e) => e.type === 'Unverified');
  assert.equal(unverified.length, 1);
  assert.match(unverified[0]!.text, /ComebackTimeout: did not come back within 15 min/);
  assert.equal(detectEvents(p, desired(s), first.seen).events.filter((e) => e.type === 'Unverified').length, 0);
});

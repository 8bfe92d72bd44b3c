import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BoxPlan, Plan } from '../../reconciler/plan-types.js';
import type { Site, Testbox, TestboxStatus } from '../../schema/types.js';
import { countPass, emptyCounters } from '../../telemetry/metrics.js';
import { detectEvents } from '../../telemetry/transitions.js';

const site = { policy: { maxConcurrent: 10, maxAttempts: 3 } } as Site;
const box: Testbox = { apiVersion: 'tbx/v1', kind: 'Testbox', name: 'tb-a', ip: '10.0.0.5', action: 'backup', request: 'r1', suspend: false };
const succeeded: TestboxStatus = { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-a', ip: '10.0.0.5', request: 'r1', action: 'backup', attempt: 1, phase: 'Succeeded', exitCode: 0, startedAt: '2026-11-25T10:00:00Z', finishedAt: '2026-11-25T10:05:00Z', disks: [{ device: 'sda', bytes: 1000, sha256: 'a'.repeat(64), seconds: 3 }] };
const desired = { site, boxes: [box], statuses: new Map([['tb-a', succeeded]]) };
const recording = (type: string, reason: string, message: string): Plan => ({
  revision: 'abc', siteChanges: [], unmanaged: [], diagnostics: [], maxConcurrent: 10, awaitingComeback: [],
  boxes: [{ name: 'tb-a', ip: '10.0.0.5', hex: '0A000005', action: 'backup', request: 'r1', outcome: 'done' as BoxPlan['outcome'], reason: '', phase: null, attempt: null, changes: [{ op: 'write-note', box: 'tb-a', action: 'backup', note: { apiVersion: 'tbx/v1', kind: 'TestboxNote', name: 'tb-a', request: 'r1', conditions: [{ type, reason, message, at: '2026-11-25T10:07:00Z' }] } }] }],
});

describe('comeback verdicts as notifications', () => {
  test('the plan records Verified -> one Verified event (reason CheckPassed), once', () => {
    const p = recording('Verified', 'CheckPassed', 'came back after backup: tcp 10.0.0.5:22 accepted a connection');
    const { events, seen } = detectEvents(p, desired, { 'tb-a': ['r1/backup/1/Succeeded'] }); // Succeeded was reported by an earlier pass
    assert.deepEqual(events.map((e) => [e.type, e.reason]), [['Verified', 'CheckPassed']]);
    assert.match(events[0]!.text, /^tb-a: backup Verified \(request r1, attempt 1 of 3\): CheckPassed: came back after backup/);
    assert.equal(detectEvents(p, desired, seen).events.length, 0, 'reported once');
  });

  test('the plan records Unverified -> the event carries the condition reason, not the agent\'s exit code name', () => {
    const { events } = detectEvents(recording('Unverified', 'ComebackTimeout', 'did not come back within 15 min'), desired, {});
    const u = events.find((e) => e.type === 'Unverified');
    assert.equal(u?.reason, 'ComebackTimeout');
  });

  test('Succeeded, then its Verified -> bytes and duration counted once; the verdict counts as an action result', () => {
    const { events } = detectEvents(recording('Verified', 'CheckPassed', 'up'), desired, {});
    assert.deepEqual(events.map((e) => e.type), ['Succeeded', 'Verified']);
    const c = countPass(emptyCounters(), { outcome: 'applied' }, events);
    assert.deepEqual(c.bytes, { backup: 1000 });
    assert.equal(c.durations.backup?.count, 1);
    assert.deepEqual(c.actions, { 'backup\u0000Succeeded': 1, 'backup\u0000Verified': 1 });
    assert.deepEqual(c.failures, {});
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PassResult } from '../../reconciler/pass.js';
import type { BoxPlan, Outcome } from '../../reconciler/plan-types.js';
import { heldDecisions, type HeldMemory } from '../../telemetry/events-log.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const none: HeldMemory = { held: {} };

function boxPlan(name: string, outcome: Outcome, reason: string, action = 'restore', request = 'r-1'): BoxPlan {
  return { name, ip: '10.0.0.1', hex: '0A000001', action, request, outcome, reason, phase: null, attempt: null, changes: [] };
}

function pass(...boxes: BoxPlan[]): PassResult {
  return { outcome: 'applied', revision: 'abc123', plan: { revision: 'abc123', boxes, siteChanges: [], unmanaged: [], diagnostics: [], maxConcurrent: 1, awaitingComeback: [] }, apply: { applied: [], skipped: [], failed: [] }, diagnostics: [], durationMs: 1 } as PassResult;
}

function invalid(message: string): PassResult {
  return { outcome: 'invalid', revision: 'def4567890abcdef', diagnostics: [{ file: 'testboxes/tb-a.yaml', line: 4, col: 5, severity: 'error', message, rule: 'schema' }], durationMs: 1 } as PassResult;
}

test('box blocked for the first time -> one blocked line with the reason', () => {
  const r = heldDecisions(pass(boxPlan('tb-a', 'blocked', 'restore requested but the backup share holds no image')), none, NOW);
  assert.deepEqual(r.entries, [{ time: NOW.toISOString(), source: 'reconciler', box: 'tb-a', op: 'hold', result: 'blocked', detail: 'restore requested but the backup share holds no image', revision: 'abc123' }]);
});

test('box still blocked for the same reason at the next pass -> no line', () => {
  const p = pass(boxPlan('tb-a', 'blocked', 'no image'));
  const first = heldDecisions(p, none, NOW);
  assert.deepEqual(heldDecisions(p, first.memory, NOW).entries, []);
});

test('box blocked for another reason -> a new line', () => {
  const first = heldDecisions(pass(boxPlan('tb-a', 'blocked', 'no image')), none, NOW);
  const next = heldDecisions(pass(boxPlan('tb-a', 'blocked', 'pxelinux.cfg/0A000001 exists and was not written by tbx')), first.memory, NOW);
  assert.deepEqual(next.entries.map((e) => e.detail), ['pxelinux.cfg/0A000001 exists and was not written by tbx']);
});

test('queued box moving up the queue -> no line; the same box then outside its window -> a held line', () => {
  const first = heldDecisions(pass(boxPlan('tb-a', 'queued', 'waiting for a slot, position 2 in the queue')), none, NOW);
  assert.deepEqual(first.entries.map((e) => e.result), ['queued']);
  const moved = heldDecisions(pass(boxPlan('tb-a', 'queued', 'waiting for a slot, position 1 in the queue')), first.memory, NOW);
  assert.deepEqual(moved.entries, []);
  const window = heldDecisions(pass(boxPlan('tb-a', 'held', 'restore r-1 waits for a maintenance window')), moved.memory, NOW);
  assert.deepEqual(window.entries.map((e) => [e.box, e.result]), [['tb-a', 'held']]);
});

test('held box released, then held again -> logged again; a new request while suspended -> logged', () => {
  const first = heldDecisions(pass(boxPlan('tb-a', 'suspended', 'suspend: true')), none, NOW);
  const released = heldDecisions(pass(boxPlan('tb-a', 'create', 'restore r-1 requested')), first.memory, NOW);
  assert.deepEqual(released.entries, []);
  assert.deepEqual(released.memory.held, {});
  assert.equal(heldDecisions(pass(boxPlan('tb-a', 'suspended', 'suspend: true')), released.memory, NOW).entries.length, 1);
  assert.equal(heldDecisions(pass(boxPlan('tb-a', 'suspended', 'suspend: true', 'restore', 'r-2')), first.memory, NOW).entries.length, 1);
});

test('invalid pass -> no line (it writes nothing to the shares) and the memory kept, so held boxes are not logged again after it', () => {
  const first = heldDecisions(pass(boxPlan('tb-a', 'blocked', 'no image')), none, NOW);
  const bad = heldDecisions(invalid('ip must match format "ipv4"'), first.memory, NOW);
  assert.deepEqual(bad.entries, []);
  assert.deepEqual(bad.memory, first.memory);
  assert.deepEqual(heldDecisions(pass(boxPlan('tb-a', 'blocked', 'no image')), bad.memory, NOW).entries, []);
});

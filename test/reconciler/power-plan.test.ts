import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computePlan } from '../../reconciler/compute-plan.js';
import type { Change, Plan } from '../../reconciler/plan-types.js';
import type { Site, TestboxNote } from '../../schema/types.js';
import { desired, image, observed, ownConfig, site, staleOwnConfig, status, testbox } from '../helpers/builders.js';

const powered = (extra: Partial<Site> = {}, policy: Partial<Site['policy']> = {}): Site => ({ ...site(policy), power: { rebootCommand: ['ipmitool', '-H', '{labels.bmc}', 'chassis', 'power', 'cycle'], check: { tcp: 22 } }, ...extra });
const reboots = (p: Plan, name: string): Change[] => p.boxes.find((b) => b.name === name)!.changes.filter((c) => c.op === 'reboot');
const A = testbox('tb-a', '10.0.0.10', 'backup', 'r1', { labels: { bmc: 'bmc-a' } });

describe('reboot steps in the plan', () => {
  test('new config written -> reboot follows, placeholders filled', () => {
    const p = computePlan(desired([A], { site: powered() }), observed());
    const ops = p.boxes[0]!.changes.map((c) => c.op);
    assert.deepEqual(ops, ['write-pxe', 'reboot']);
    assert.deepEqual((reboots(p, 'tb-a')[0] as { argv: string[] }).argv, ['ipmitool', '-H', 'bmc-a', 'chassis', 'power', 'cycle']);
  });
  test('config replaced for a new request -> reboot', () => {
    const p = computePlan(desired([A], { site: powered() }), observed({ pxe: { '10.0.0.10': staleOwnConfig(A, 'r0') } }));
    assert.equal(reboots(p, 'tb-a').length, 1);
  });
  test('config refreshed for the same request (site args changed) -> no reboot mid-action', () => {
    const p = computePlan(desired([A], { site: powered() }), observed({ pxe: { '10.0.0.10': ownConfig(A).replace('ro aufs', 'ro  aufs') } }));
    assert.equal(p.boxes[0]!.outcome, 'update');
    assert.deepEqual(reboots(p, 'tb-a'), []);
  });
  test('suspended, queued, blocked or manual boxes -> never a reboot', () => {
    const queued = testbox('tb-z', '10.0.0.20', 'backup', 'r1', { labels: { bmc: 'z' } });
    const blocked = testbox('tb-b', '10.0.0.11', 'restore', 'r1', { labels: { bmc: 'b' } });
    const manual = testbox('tb-m', '10.0.0.12', 'backup', 'r1', { power: 'manual' });
    const suspended = { ...testbox('tb-s', '10.0.0.13', 'backup', 'r1', { labels: { bmc: 's' } }), suspend: true };
    const p = computePlan(desired([A, queued, blocked, manual, suspended], { site: powered({}, { maxConcurrent: 2 }) }), observed());
    const outcome = Object.fromEntries(p.boxes.map((b) => [b.name, `${b.outcome}:${reboots(p, b.name).length}`]));
    assert.deepEqual(outcome, { 'tb-a': 'create:1', 'tb-b': 'blocked:0', 'tb-m': 'create:0', 'tb-s': 'suspended:0', 'tb-z': 'queued:0' });
  });
});

describe('comeback after Succeeded', () => {
  const s = status(A, 'Succeeded'); // finished 2026-11-24T10:01:30Z
  test('check passes -> Verified recorded', () => {
    const p = computePlan(desired([A], { site: powered(), statuses: [s] }), observed({ comebacks: { 'tb-a': { ok: true, detail: 'tcp 10.0.0.10:22 accepted a connection' } }, now: '2026-11-24T10:05:00Z' }));
    const note = (p.boxes[0]!.changes[0] as { note: TestboxNote }).note;
    assert.deepEqual(note.conditions.map((c) => c.type), ['Verified']);
    assert.deepEqual(p.awaitingComeback, []);
  });
  test('check fails before the deadline -> waiting, nothing recorded, polled again soon', () => {
    const p = computePlan(desired([A], { site: powered(), statuses: [s] }), observed({ comebacks: { 'tb-a': { ok: false, detail: 'ECONNREFUSED' } }, now: '2026-11-24T10:10:00Z' }));
    assert.deepEqual(p.boxes[0]!.changes, []);
    assert.match(p.boxes[0]!.reason, /waiting for the box to come back \(until 2026-11-24T10:16:30Z\)/);
    assert.deepEqual(p.awaitingComeback, ['tb-a']);
  });
  test('check still failing after the deadline -> Unverified with the reason', () => {
    const p = computePlan(desired([A], { site: powered(), statuses: [s] }), observed({ comebacks: { 'tb-a': { ok: false, detail: 'ECONNREFUSED' } }, now: '2026-11-24T10:17:00Z' }));
    const c = (p.boxes[0]!.changes[0] as { note: TestboxNote }).note.conditions[0]!;
    assert.equal(c.type, 'Unverified');
    assert.equal(c.reason, 'ComebackTimeout');
    assert.match(c.message, /within 15 min.*ECONNREFUSED/);
  });
  test('already Verified -> no further checks or notes', () => {
    const note: TestboxNote = { apiVersion: 'tbx/v1', kind: 'TestboxNote', name: 'tb-a', request: 'r1', conditions: [{ type: 'Verified', reason: 'CheckPassed', message: 'ok', at: '2026-11-24T10:03:00Z' }] };
    const p = computePlan(desired([A], { site: powered(), statuses: [s], notes: [note] }), observed({ now: '2026-11-24T12:00:00Z' }));
    assert.deepEqual(p.boxes[0]!.changes, []);
    assert.deepEqual(p.awaitingComeback, []);
  });
  test('no check configured -> done, no comeback step', () => {
    const p = computePlan(desired([A], { site: { ...site(), power: { rebootCommand: ['true'] } }, statuses: [s] }), observed());
    assert.equal(p.boxes[0]!.outcome, 'done');
    assert.doesNotMatch(p.boxes[0]!.reason, /come back/);
  });
  test('a restore image exists but the box is blocked meanwhile -> unaffected (sanity: image() helper)', () => {
    const r = testbox('tb-r', '10.0.0.30', 'restore', 'x', { labels: { bmc: 'r' } });
    const p = computePlan(desired([r], { site: powered() }), observed({ boxes: { '10.0.0.30': { images: [image()] } } }));
    assert.equal(reboots(p, 'tb-r').length, 1);
  });
});

describe('comeback window: only requests finished within twice the deadline are judged', () => {
  const s = status(A, 'Succeeded'); // finished 2026-11-24T10:01:30Z; deadline 10:16:30; window ends 10:31:30
  const fails = { 'tb-a': { ok: false, detail: 'ECONNREFUSED' } };
  const cases: [string, string, string | null, boolean][] = [
    ['just after the deadline, check fails -> Unverified', '2026-11-24T10:16:31Z', 'Unverified', false],
    ['a late pass, still inside the window, check fails -> Unverified', '2026-11-24T10:31:29Z', 'Unverified', false],
    ['window over (checks configured only now) -> left alone: no note, not polled', '2026-11-24T10:31:30Z', null, false],
    ['finished days ago -> left alone: no note, not polled', '2026-11-27T09:00:00Z', null, false],
  ];
  for (const [name, now, recorded, waiting] of cases) {
    test(name, () => {
      const p = computePlan(desired([A], { site: powered(), statuses: [s] }), observed({ comebacks: fails, now }));
      const notes = p.boxes[0]!.changes.flatMap((c) => (c.op === 'write-note' ? [c.note.conditions.at(-1)!.type] : []));
      assert.deepEqual(notes, recorded ? [recorded] : []);
      assert.equal(p.awaitingComeback.includes('tb-a'), waiting);
      if (!recorded) assert.equal(p.boxes[0]!.reason, 'request r1 Succeeded at 2026-11-24T10:01:30Z');
    });
  }
  test('an old request whose check would pass -> still left alone (no Verified either)', () => {
    const p = computePlan(desired([A], { site: powered(), statuses: [s] }), observed({ comebacks: { 'tb-a': { ok: true, detail: 'up' } }, now: '2026-11-27T09:00:00Z' }));
    assert.deepEqual(p.boxes[0]!.changes, []);
  });
});


import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Plan } from '../../../reconciler/plan-types.js';
import { renderPlanMarkdown, reviewWarnings, type ReviewFacts } from '../../../cli/views/plan-markdown.js';

const plan = (n: number): Plan => ({
  revision: 'abcdef1234567890', siteChanges: [], unmanaged: [], diagnostics: [], maxConcurrent: 10, awaitingComeback: [],
  boxes: Array.from({ length: n }, (_, i) => ({ name: `tb-${String(i).padStart(2, '0')}`, ip: `10.0.0.${i + 1}`, hex: 'X', action: 'restore', request: 'r', outcome: 'create' as const, reason: 'restore r requested', phase: null, attempt: null, changes: [] })),
});
const facts = (p: Plan, extra: Partial<ReviewFacts> = {}): ReviewFacts => ({
  desired: { boxes: p.boxes.map((b) => ({ apiVersion: 'tbx/v1', kind: 'Testbox', name: b.name, ip: b.ip, action: 'restore', request: 'r', suspend: false })), statuses: new Map() },
  images: new Map(p.boxes.map((b) => [b.name, [{ device: 'sda', format: 'gzip', ref: 'sda', createdAt: '2026-11-20T00:00:00Z', storedBytes: 100, logicalBytes: 1000, sha256: 'ab'.repeat(32), generation: 7 }]])),
  diskSizes: new Map(),
  now: new Date('2026-11-25T00:00:00Z'),
  maxImageAgeDays: 30,
  ...extra,
});

test('twelve restores -> "restores 12 boxes" with the first names', () => {
  const p = plan(12);
  assert.match(reviewWarnings(p, facts(p))[0]!, /^\*\*restores 12 boxes\*\*: tb-00, .*, tb-07 and 4 more; their disks are overwritten$/);
});

test('image from a disk of another size than the box reports -> different-hardware warning', () => {
  const p = plan(1);
  const w = reviewWarnings(p, facts(p, { diskSizes: new Map([['tb-00', new Map([['sda', 2000]])]]) }));
  assert.ok(w.some((x) => /tb-00: box was backed up from different hardware: `sda` was taken from a 1000 B sda, the box now reports 2\.0 KiB/.test(x)), w.join('\n'));
});

test('image with a generation -> the generation is shown in the image column', () => {
  const p = plan(1);
  assert.match(renderPlanMarkdown(p, 'fleet.git', facts(p)), /\| gen 7 · `sda` · 2026-11-20 · 100 B · `abababababab` \|/);
});

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
  assert.match(renderPlanMarkdown(p, 'fleet.git', facts(p)), /\| gen 7 · `sda` · 2026-11-20 · 1000 B disk, 100 B stored · `abababababab` \|/);
});

/** A chunked generation as the chunk store lists it: no sha256, a blake3-tree digest, `storedBytes` new to the store. */
const chunked = (generation: number, storedBytes: number, origin = { ip: '10.0.0.1', name: 'tb-00' }) => ({
  device: 'sda', format: 'chunked' as const, ref: `images/sda/0000000${generation}.tbxi`, createdAt: `2026-11-2${generation}T00:00:00Z`, storedBytes, logicalBytes: 8 * 2 ** 30, sha256: null,
  digest: `blake3-tree:${String(generation).repeat(64)}`, generation, mode: 'used-blocks', origin: { size: 8 * 2 ** 30, ...origin },
});

test('chunked image -> its blake3-tree digest, the disk size and the stored bytes, labelled', () => {
  const p = plan(1);
  const md = renderPlanMarkdown(p, 'fleet.git', facts(p, { images: new Map([['tb-00', [chunked(1, 3 << 20), chunked(2, 0)]]]) }));
  assert.match(md, /\| gen 2 · `images\/sda\/00000002\.tbxi` · 2026-11-22 · 8\.0 GiB disk, 0 B stored · `blake3-tree:222222222222` \|/);
  assert.doesNotMatch(md, /gen 1/, 'a restore without a source uses the newest generation');
});

test('restore with source: other@1 and force -> the source box, its generation and the bypassed gate are warned about', () => {
  const p = plan(1);
  const f = facts(p, { images: new Map([['tb-golden', [chunked(1, 5 << 20, { ip: '10.0.0.99', name: 'tb-golden' }), chunked(2, 0, { ip: '10.0.0.99', name: 'tb-golden' })]], ['tb-00', [chunked(3, 1 << 20)]]]) });
  f.desired.boxes[0] = { ...f.desired.boxes[0]!, source: 'tb-golden@1', force: true };
  const w = reviewWarnings(p, f);
  assert.ok(w.includes('**restores tb-00 from tb-golden generation 1** (force: identity gate bypassed: the disk serial and the box the image was taken from are not checked; only the size is)'), w.join('\n'));
  const md = renderPlanMarkdown(p, 'fleet.git', f);
  assert.match(md, /\| from tb-golden · gen 1 · `images\/sda\/00000001\.tbxi` · 2026-11-21 · 8\.0 GiB disk, 5\.0 MiB stored · `blake3-tree:111111111111` \|/);
  assert.doesNotMatch(md, /gen 3/, "the box's own image is not what the restore writes");
});

test('restore with source: other (no generation) and no force -> the newest generation of the source, no force warning', () => {
  const p = plan(1);
  const f = facts(p, { images: new Map([['tb-golden', [chunked(1, 5, { ip: '10.0.0.99', name: 'tb-golden' }), chunked(2, 0, { ip: '10.0.0.99', name: 'tb-golden' })]]]) });
  f.desired.boxes[0] = { ...f.desired.boxes[0]!, source: 'tb-golden' };
  assert.ok(reviewWarnings(p, f).includes('**restores tb-00 from tb-golden generation 2 (its newest image)**'));
});

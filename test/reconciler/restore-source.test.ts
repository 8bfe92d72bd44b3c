import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Desired } from '../../fleet/read-desired.js';
import type { ImageSummary } from '../../imaging/store.js';
import { computePlan } from '../../reconciler/compute-plan.js';
import type { Observed } from '../../reconciler/observe.js';
import type { Site, Testbox } from '../../schema/types.js';

const site: Site = {
  apiVersion: 'tbx/v1',
  kind: 'Site',
  boot: { nfsServer: '10.0.0.100', nfsRoot: '/r', ethDevice: 'eth0', ipConfig: 'dhcp', kernel: 'k', initrd: 'i', extraArgs: [] },
  policy: { maxConcurrent: 10, maxAttempts: 3, actionTimeout: '2h', timezone: 'UTC', keepGenerations: 3, imageFormat: 'chunked', skipFreeSpace: true },
};
const box = (name: string, ip: string, extra: Partial<Testbox> = {}): Testbox => ({ apiVersion: 'tbx/v1', kind: 'Testbox', name, ip, action: 'none', suspend: false, ...extra });
const image = (generation: number): ImageSummary => ({ device: 'sda', format: 'chunked', ref: `images/sda/${generation}`, createdAt: '2026-01-01T00:00:00Z', storedBytes: 1, logicalBytes: 1, sha256: null, generation });

function plan(boxes: Testbox[], images: Record<string, ImageSummary[]>) {
  const desired: Desired = { revision: 'abc', site, boxes, statuses: new Map(), notes: new Map(), diagnostics: [] };
  const observed: Observed = {
    hasDefault: true,
    defaultOwned: true,
    pxe: new Map(),
    boxes: new Map(boxes.map((b) => [b.ip, { images: images[b.name] ?? [], diskList: { content: null, ownedByTbx: false } }])),
    diagnostics: [],
    comebacks: new Map(),
    now: '2026-11-24T10:00:00Z',
    leftovers: [],
  };
  return computePlan(desired, observed).boxes.find((b) => b.name === 'target')!;
}

const restore = (source: string, force = true) => box('target', '10.0.0.2', { action: 'restore', request: 'r1', source, force });

test('restore from a source box with images, own share empty -> create, with testbox-source on the APPEND line', () => {
  const p = plan([box('golden', '10.0.0.1'), restore('golden')], { golden: [image(2)] });
  assert.equal(p.outcome, 'create');
  const write = p.changes.find((c) => c.op === 'write-pxe') as { content: string } | undefined;
  assert.match(write?.content ?? '', /^APPEND .* testbox-source=10\.0\.0\.1 testbox-force=1( |$)/m);
});

test('restore from another box without force: true -> blocked, saying so', () => {
  const p = plan([box('golden', '10.0.0.1'), restore('golden', false)], { golden: [image(2)] });
  assert.equal(p.outcome, 'blocked');
  assert.match(p.reason, /another box's disk image: set force: true/);
  assert.equal(p.changes.length, 0);
});

test('restore from a source box without images -> blocked', () => {
  const p = plan([box('golden', '10.0.0.1'), restore('golden')], { target: [image(1)] });
  assert.equal(p.outcome, 'blocked');
  assert.match(p.reason, /no image of golden/);
});

test('restore from a generation the source does not have yet -> blocked', () => {
  const p = plan([box('golden', '10.0.0.1'), restore('golden@5')], { golden: [image(2)] });
  assert.equal(p.outcome, 'blocked');
  assert.match(p.reason, /newest generation is 2/);
});

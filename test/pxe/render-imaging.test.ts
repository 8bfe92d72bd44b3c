import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kernelArgs } from '../../pxe/render.js';
import type { Site } from '../../schema/types.js';

const site: Site = {
  apiVersion: 'tbx/v1',
  kind: 'Site',
  boot: { nfsServer: '10.0.0.100', nfsRoot: '/r', ethDevice: 'eth0', ipConfig: 'dhcp', kernel: 'k', initrd: 'i', extraArgs: ['quiet'] },
  policy: { maxConcurrent: 1, maxAttempts: 3, actionTimeout: '2h', timezone: 'UTC', keepGenerations: 4, imageFormat: 'chunked', skipFreeSpace: false },
};

test('backups carry format, keep and free-space tokens before the extra arguments', () => {
  const args = kernelArgs(site, { name: 'b', ip: '10.0.0.1', action: 'backup-again', request: 'r' });
  assert.deepEqual(args.slice(-4), ['testbox-format=chunked', 'testbox-keep=4', 'testbox-free-space=read', 'quiet']);
});

test('a restore with a source carries testbox-source=<ip>@<generation>; without one, nothing', () => {
  assert.ok(kernelArgs(site, { name: 'b', ip: '10.0.0.1', action: 'restore', request: 'r', source: { ip: '10.0.0.9', generation: 2 } }).includes('testbox-source=10.0.0.9@2'));
  assert.ok(!kernelArgs(site, { name: 'b', ip: '10.0.0.1', action: 'restore', request: 'r' }).some((a) => a.startsWith('testbox-source')));
  assert.ok(!kernelArgs(site, { name: 'b', ip: '10.0.0.1', action: 'rescue', request: 'r' }).some((a) => a.startsWith('testbox-')  && a.includes('=') && !/request|name/.test(a)));
});

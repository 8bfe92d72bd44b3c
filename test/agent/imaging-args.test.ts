import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBootArgs } from '../../agent/cmdline.js';
import { parseImagingArgs } from '../../agent/imaging-args.js';
import { AgentFailure } from '../../agent/exit-codes.js';

test('imaging tokens are parsed', () => {
  assert.deepEqual(parseImagingArgs(['ro', 'testbox-format=gzip', 'testbox-keep=5', 'testbox-free-space=read', 'testbox-source=10.1.2.3@12']), {
    format: 'gzip',
    keep: 5,
    skipFree: false,
    source: { ip: '10.1.2.3', generation: 12 },
  });
  assert.deepEqual(parseImagingArgs(['testbox-source=10.1.2.3']), { source: { ip: '10.1.2.3' } });
  assert.deepEqual(parseImagingArgs(['quiet']), {});
});

for (const bad of ['testbox-format=tar', 'testbox-keep=0', 'testbox-keep=x', 'testbox-free-space=maybe', 'testbox-source=host', 'testbox-source=10.0.0.1@0', 'testbox-source=10.0.0.1@']) {
  test(`malformed ${bad} -> refused with code 15`, () => {
    assert.throws(() => parseImagingArgs([bad]), (e: unknown) => e instanceof AgentFailure && e.code === 15);
  });
}

for (const [what, tokens] of [
  ['a second action', ['testbox-action-backup', 'testbox-request=r1', 'testbox-action-restore']],
  ['a second request id', ['testbox-action-restore', 'testbox-request=r1', 'testbox-request=r2']],
  ['a second source', ['testbox-action-restore', 'testbox-request=r1', 'testbox-source=10.0.0.1', 'testbox-source=10.0.0.2']],
  ['force given twice', ['testbox-action-restore', 'testbox-request=r1', 'testbox-force=1', 'testbox-force=1']],
] as const) {
  test(`kernel command line with ${what} -> refused with code 15, never the first or last guessed`, () => {
    assert.throws(() => parseBootArgs([...tokens]), (e: unknown) => e instanceof AgentFailure && e.code === 15 && /both set testbox-/.test(e.message));
  });
}

test('one of each testbox token -> accepted', () => {
  const b = parseBootArgs(['ro', 'testbox-action-restore', 'testbox-request=r1', 'testbox-name=tb-a', 'testbox-source=10.0.0.1@2', 'testbox-force=1']);
  assert.equal(b.action, 'restore');
  assert.deepEqual(b.imaging, { source: { ip: '10.0.0.1', generation: 2 }, force: true });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
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

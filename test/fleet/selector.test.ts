import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesSelector, parseSelector } from '../../fleet/selector.js';

const labels = { rack: 'b3', os: 'linux' };
const cases: [string, boolean][] = [
  ['rack=b3', true],
  ['rack==b3', true],
  ['rack=c1', false],
  ['rack!=c1', true],
  ['rack=b3,os=windows', false],
  ['os in (linux, windows)', true],
  ['os notin (linux)', false],
  ['gpu', false],
  ['!gpu', true],
  ['rack', true],
];
for (const [sel, expected] of cases) {
  test(`selector ${sel} -> ${expected ? 'matches' : 'does not match'} rack=b3,os=linux`, () => {
    assert.equal(matchesSelector(parseSelector(sel), labels), expected);
  });
}

test('malformed selector -> usage error naming it', () => {
  assert.throws(() => parseSelector('rack=b3,=x'), /bad label selector "=x"/);
});

test('box without labels -> only negative requirements match', () => {
  assert.equal(matchesSelector(parseSelector('rack!=b3,!gpu'), undefined), true);
  assert.equal(matchesSelector(parseSelector('rack=b3'), undefined), false);
});

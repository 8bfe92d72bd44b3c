import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandArgv, unfillable } from '../../power/placeholders.js';
import { effectivePower } from '../../power/resolve.js';
import { site, testbox } from '../helpers/builders.js';

describe('expandArgv', () => {
  const v = { name: 'tb-a', ip: '10.165.98.220', request: 'r1', labels: { bmc: 'bmc-a.lab', note: 'rack "B3", shelf 2' } };
  test('fills every placeholder kind, each argument stays one element', () => {
    assert.deepEqual(expandArgv(['ipmitool', '-H', '{labels.bmc}', 'root@{ip}', '{hexip}', '{name}:{request}', '{labels.note}'], v), [
      'ipmitool', '-H', 'bmc-a.lab', 'root@10.165.98.220', '0AA562DC', 'tb-a:r1', 'rack "B3", shelf 2',
    ]);
  });
  test('unknown placeholder or missing label -> refused, nothing half-filled', () => {
    assert.throws(() => expandArgv(['{password}'], v), /unknown placeholder \{password\}/);
    assert.throws(() => expandArgv(['{labels.ilo}'], v), /no label 'ilo'/);
    assert.deepEqual(unfillable(['x', '{labels.ilo}', '{ip}', '{nope}'], {}), ['{labels.ilo}', '{nope}']);
  });
});

describe('effectivePower', () => {
  test('box overrides the site, manual opts out, defaults applied', () => {
    const s = { ...site(), power: { rebootCommand: ['ssh', 'root@{ip}', 'reboot'], check: { tcp: 22 } } };
    assert.deepEqual(effectivePower(s, testbox('a', '10.0.0.1'))?.rebootCommand, ['ssh', 'root@{ip}', 'reboot']);
    assert.equal(effectivePower(s, testbox('a', '10.0.0.1'))?.comebackMinutes, 15);
    assert.equal(effectivePower(s, testbox('a', '10.0.0.1', 'none', undefined, { power: 'manual' })), undefined);
    const own = effectivePower(s, testbox('a', '10.0.0.1', 'none', undefined, { power: { checkCommand: ['true'] } }));
    assert.deepEqual(own?.checkCommand, ['true']);
    assert.equal(own?.check, undefined, "the box's own check kind replaces the site's");
  });
});

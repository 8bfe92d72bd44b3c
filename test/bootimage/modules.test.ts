import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveModuleOrder } from '../../bootimage/modules.js';

const DEP = [
  'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko',
  'kernel/net/9p/9pnet.ko:',
  'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
  'kernel/fs/netfs/netfs.ko:',
  'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko',
  'kernel/lib/crc-t10dif.ko: kernel/crypto/crct10dif_common.ko',
  'kernel/crypto/crct10dif_common.ko:',
  '',
].join('\n');

test('module with dependencies -> dependencies first, the last listed loads first, no duplicates', () => {
  assert.deepEqual(resolveModuleOrder(DEP, ['9pnet_virtio', '9p']), [
    'kernel/net/9p/9pnet.ko',
    'kernel/net/9p/9pnet_virtio.ko',
    'kernel/fs/netfs/netfs.ko',
    'kernel/fs/fscache/fscache.ko',
    'kernel/fs/9p/9p.ko',
  ]);
});

test('dash and underscore name the same module -> found either way', () => {
  assert.deepEqual(resolveModuleOrder(DEP, ['crc_t10dif']), ['kernel/crypto/crct10dif_common.ko', 'kernel/lib/crc-t10dif.ko']);
});

test('module the kernel does not have -> BootImageError naming it', () => {
  assert.throws(() => resolveModuleOrder(DEP, ['e1000']), { name: 'BootImageError', message: /no module e1000/ });
});

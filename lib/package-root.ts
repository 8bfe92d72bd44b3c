import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The tbx package directory (holds package.json, fleet/example, bin/), from source or dist. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'tbx.js'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the tbx package directory');
}

/** Path of the `tbx` executable script. */
export function tbxBin(): string {
  return join(packageRoot(), 'bin', 'tbx.js');
}

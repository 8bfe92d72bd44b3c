import type { ImageFormat } from '../imaging/store.js';
import { AgentFailure, EXIT } from './exit-codes.js';

/** The imaging parameters of this boot, from the tokens tbx put on the APPEND line. */
export interface ImagingArgs {
  /** `testbox-format=`: how to write new backups (default: the agent's default store). */
  format?: ImageFormat;
  /** `testbox-keep=`: generations backup-again keeps. */
  keep?: number;
  /** `testbox-free-space=skip|read`: whether chunked backups skip file-system free space. */
  skipFree?: boolean;
  /** `testbox-source=<ip>[@<generation>]`: restore another box's (or an older) image. */
  source?: { ip: string; generation?: number };
  /** `testbox-force=1`: restore despite a different disk serial or another box's image. */
  force?: boolean;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Parse the imaging tokens. Each is validated: a malformed one is a bad request (code 15),
 * never guessed at, because it decides what lands on a disk.
 */
export function parseImagingArgs(tokens: string[]): ImagingArgs {
  const out: ImagingArgs = {};
  const bad = (t: string, why: string) => new AgentFailure(EXIT.badAction, `Invalid kernel argument '${t}': ${why}`);
  for (const t of tokens) {
    const [key, value = ''] = t.split(/=(.*)/s, 2);
    switch (key) {
      case 'testbox-format':
        if (value !== 'chunked' && value !== 'gzip') throw bad(t, 'expected chunked or gzip');
        out.format = value;
        break;
      case 'testbox-keep':
        if (!/^[1-9]\d{0,2}$/.test(value)) throw bad(t, 'expected a number of generations from 1 to 999');
        out.keep = Number(value);
        break;
      case 'testbox-free-space':
        if (value !== 'skip' && value !== 'read') throw bad(t, 'expected skip or read');
        out.skipFree = value === 'skip';
        break;
      case 'testbox-force':
        if (value !== '1') throw bad(t, 'expected testbox-force=1');
        out.force = true;
        break;
      case 'testbox-source': {
        const [ip = '', gen] = value.split('@');
        if (!IPV4.test(ip) || (gen !== undefined && !/^[1-9]\d{0,7}$/.test(gen))) throw bad(t, 'expected <ipv4>[@<generation>]');
        out.source = { ip, ...(gen ? { generation: Number(gen) } : {}) };
        break;
      }
    }
  }
  return out;
}

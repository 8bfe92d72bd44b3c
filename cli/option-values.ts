import type { Option } from 'commander';
import { UsageError } from '../lib/errors.js';
import { parseSince } from '../lib/since.js';

/** What a numeric option accepts. */
export interface NumberSpec {
  /** Unit for the message: `seconds`, `days`, ... */
  unit?: string;
  /** Only whole numbers. */
  whole?: boolean;
  /** 0 is allowed (otherwise the value must be positive; with `whole`, 1 or more). */
  zero?: boolean;
  /** Largest value allowed. */
  max?: number;
}

/**
 * Parse a numeric option value by `spec`, or throw a {@link UsageError} naming the flag:
 * `--interval: expected a positive number of seconds, got 'abc'`. `0`, `-1`, `1e3`, `0x10`,
 * `Infinity` and the empty string are refused unless the spec allows them (only plain
 * decimals are numbers here: a typo must not become a tight loop or a disabled check).
 */
export function parseNumberOption(flag: string, raw: string, spec: NumberSpec = {}): number {
  const n = Number(raw);
  const plain = spec.whole ? /^\d+$/.test(raw.trim()) : /^\d+(\.\d+)?$|^\.\d+$/.test(raw.trim());
  const ok = plain && Number.isFinite(n) && (spec.zero ? n >= 0 : n > 0) && (spec.max === undefined || n <= spec.max);
  if (ok) return n;
  const kind = `${spec.zero ? '' : 'positive '}${spec.whole ? 'whole number' : 'number'}${spec.unit ? ` of ${spec.unit}` : ''}`;
  const range = spec.max !== undefined ? ` from ${spec.zero ? 0 : spec.whole ? 1 : 'above 0'} to ${spec.max}` : spec.zero ? ' (0 or more)' : '';
  throw new UsageError(`${flag}: expected a ${kind}${range}, got '${raw}'`);
}

/**
 * Give `option` a parser by {@link parseNumberOption}: flags, environment variables and the
 * config file are all checked the same way and the action gets a number. Returns `option`.
 */
export function numberOption(option: Option, spec: NumberSpec = {}): Option {
  const flag = option.long ?? option.flags;
  return option.argParser((raw: string) => parseNumberOption(flag, raw, spec));
}

/** Give a `--since <when>` option a parser: the action gets a Date (see lib/since.ts). Returns `option`. */
export function sinceOption(option: Option): Option {
  const flag = option.long ?? option.flags;
  return option.argParser((raw: string) => {
    try {
      return parseSince(raw);
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`, { cause: err });
    }
  });
}

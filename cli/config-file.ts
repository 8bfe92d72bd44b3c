import { readFile } from 'node:fs/promises';
import type { Command, Option } from 'commander';
import { parse } from 'yaml';
import { UsageError } from '../lib/errors.js';
import { CONFIG_KEYS } from './config-keys.js';

/** Where tbx reads its site configuration unless --config or TBX_CONFIG names another file (TBX_CONFIG= turns it off). */
export const DEFAULT_CONFIG_PATH = '/etc/tbx/config.yaml';

/** A config file's values, keyed by flag name without the dashes (`state-dir`). */
export type ConfigValues = Record<string, unknown>;

/**
 * Read a config file: a YAML mapping of flag names to values. A missing file is an empty
 * config; unreadable or malformed content is a {@link UsageError} naming the file.
 */
export async function readConfigFile(path: string | null): Promise<ConfigValues> {
  if (!path) return {};
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read config file ${path}`, { cause: err });
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid YAML`, { cause: err });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`config file ${path} must be a mapping of flag names to values`);
  return value as ConfigValues;
}

/** `stateDir` -> `state-dir`. */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The config keys of the commands loaded into `program`: each option's attribute name in kebab case. */
export function knownKeys(program: Command): Set<string> {
  const keys = new Set<string>();
  const walk = (cmd: Command) => {
    for (const o of cmd.options as readonly Option[]) keys.add(kebab(o.attributeName()));
    for (const c of cmd.commands as readonly Command[]) walk(c);
  };
  walk(program);
  return keys;
}

/**
 * Fill the options of `cmd` and its parents that neither a flag nor an environment
 * variable set from `config` (precedence: flag > environment > config file > default).
 * A key of another command is ignored (one file serves every command); a key no command
 * has ({@link CONFIG_KEYS}) is refused, so a typo does not silently fall back to a default.
 */
export function applyConfig(program: Command, cmd: Command, config: ConfigValues, path: string): void {
  // `program` holds only the running command's module (cli/main.ts), hence the static list.
  const known = new Set([...CONFIG_KEYS, ...knownKeys(program)]);
  const given = new Map(Object.entries(config).map(([k, v]) => [kebab(k), v]));
  for (const k of given.keys()) {
    if (!known.has(k)) throw new UsageError(`unknown key '${k}' in config file ${path} (keys are flag names without the dashes, e.g. state-dir)`);
  }
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const o of c.options as readonly Option[]) {
      const attr = o.attributeName();
      if (!given.has(kebab(attr))) continue;
      const source = c.getOptionValueSource(attr);
      // An empty environment variable counts as unset, as it does for the site options.
      const emptyEnv = source === 'env' && c.getOptionValue(attr) === '';
      if (source !== undefined && source !== 'default' && source !== 'implied' && !emptyEnv) continue;
      c.setOptionValueWithSource(attr, coerce(o, given.get(kebab(attr)), path), 'config');
    }
  }
}

function coerce(o: Option, raw: unknown, path: string): unknown {
  const key = kebab(o.attributeName());
  const bad = (what: string) => new UsageError(`config file ${path}: '${key}' ${what}`);
  if (o.isBoolean() || o.negate) {
    if (typeof raw !== 'boolean') throw bad('must be true or false');
    return raw;
  }
  const one = (v: unknown): string => {
    if (typeof v !== 'string' && typeof v !== 'number') throw bad('must be a string or number');
    const s = String(v);
    if (o.argChoices && !o.argChoices.includes(s)) throw bad(`must be one of ${o.argChoices.join(', ')}`);
    return s;
  };
  if (o.variadic) return (Array.isArray(raw) ? raw : [raw]).map(one);
  const value = one(raw);
  try {
    return o.parseArg ? o.parseArg(value, undefined) : value;
  } catch (err) {
    throw new UsageError(`config file ${path}: '${key}': ${(err as Error).message}`, { cause: err });
  }
}

import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import common from './common.schema.json' with { type: 'json' };
import site from './site.schema.json' with { type: 'json' };
import testbox from './testbox.schema.json' with { type: 'json' };
import status from './testbox-status.schema.json' with { type: 'json' };
import note from './testbox-note.schema.json' with { type: 'json' };
import type { Kind } from './types.js';

// ajv and ajv-formats are CommonJS; under NodeNext their default export sits one level down.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

/** The JSON Schema documents, by kind, as shipped in `schema/`. */
export const SCHEMAS: Record<Kind, object> = { Site: site, Testbox: testbox, TestboxStatus: status, TestboxNote: note };

/** Schema file name for each kind, for `# yaml-language-server: $schema=` lines. */
export const SCHEMA_FILES: Record<Kind, string> = {
  Site: 'site.schema.json',
  Testbox: 'testbox.schema.json',
  TestboxStatus: 'testbox-status.schema.json',
  TestboxNote: 'testbox-note.schema.json',
};

let compiled: Record<Kind, ValidateFunction> | undefined;

function validators(): Record<Kind, ValidateFunction> {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true });
  addFormats(ajv);
  ajv.addSchema(common);
  compiled = {
    Site: ajv.compile(site),
    Testbox: ajv.compile(testbox),
    TestboxStatus: ajv.compile(status),
    TestboxNote: ajv.compile(note),
  };
  return compiled;
}

/** One schema violation: where in the document (JSON pointer) and why, in plain words. */
export interface SchemaIssue {
  /** Path segments into the document; for unknown keys this ends at the key itself. */
  path: (string | number)[];
  /** True if `path` names a key (unknown property) rather than a value. */
  atKey: boolean;
  message: string;
}

/**
 * Validate `value` as `kind`, filling schema defaults in place. Returns the issues, empty
 * when valid. Messages name the field and the rule, e.g. `ip: must be a dotted-quad IPv4`.
 */
export function validateKind(kind: Kind, value: unknown): SchemaIssue[] {
  const validate = validators()[kind];
  if (validate(value)) return [];
  return dedupe((validate.errors ?? []).filter((e) => e.keyword !== 'if').map(toIssue));
}

function toIssue(e: ErrorObject): SchemaIssue {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const where = path.length ? path.join('.') : '(top level)';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: [...path, String(p.additionalProperty)], atKey: true, message: `unknown key '${String(p.additionalProperty)}'${path.length ? ` in ${where}` : ''}` };
    case 'required':
      // Point at the action that needs the id: that is the line the author just changed.
      if (p.missingProperty === 'request') return { path: [...path, 'action'], atKey: true, message: `missing 'request': action '${String((e.data as { action?: unknown })?.action)}' needs a request id (any new id asks again)` };
      return { path, atKey: false, message: `${where}: missing required key '${String(p.missingProperty)}'` };
    case 'const':
      return { path, atKey: false, message: `${where}: must be ${JSON.stringify(p.allowedValue)}` };
    case 'enum':
      return { path, atKey: false, message: `${where}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern':
      return { path, atKey: false, message: `${where}: ${describePattern(e)}` };
    default:
      return { path, atKey: false, message: `${where}: ${e.message ?? e.keyword}` };
  }
}

function describePattern(e: ErrorObject): string {
  const description = (e.parentSchema as { description?: string } | undefined)?.description;
  return description ? `invalid value; expected ${description.replace(/\.$/, '')}` : `does not match ${String((e.params as { pattern: string }).pattern)}`;
}

function dedupe(issues: SchemaIssue[]): SchemaIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path.join('/')}|${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

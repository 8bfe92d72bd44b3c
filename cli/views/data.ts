import { stringify } from 'yaml';

/** A value for scripts: `json` (indented) or `yaml` (no line folding), the same value either way. */
export function renderData(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'yaml' ? stringify(value, { lineWidth: 0 }).trimEnd() : JSON.stringify(value, null, 2);
}

/** Whether `format` is one of the data formats of {@link renderData}. */
export function isDataFormat(format: string): format is 'json' | 'yaml' {
  return format === 'json' || format === 'yaml';
}

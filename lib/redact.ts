/**
 * Remove credentials from text that may reach logs, status files or errors:
 * `scheme://user:secret@host` keeps only the scheme and host, and well-known token
 * parameters are masked.
 */
export function redact(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@')
    .replace(/((?:access_)?token|password|passwd|secret)=([^&\s]+)/gi, '$1=***');
}

const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;
const PASSWORD_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^/\s@:]*:[^/\s@]*@/i;
const TOKEN_PARAM = /((?:access_)?token|password|passwd|secret)=([^&\s]+)/gi;

/**
 * Remove credentials from text that may reach logs, status files or errors:
 * `scheme://user:secret@host` keeps only the scheme and host, and well-known token
 * parameters are masked.
 */
export function redact(text: string): string {
  return text.replace(USERINFO, '$1***@').replace(TOKEN_PARAM, '$1=***');
}

/**
 * True when `text` holds a secret: a URL with a password (`scheme://user:secret@host`) or a
 * token parameter (`token=`, `password=`, ...). A user name alone (`ssh://git@host`) is not one.
 */
export function carriesSecret(text: string): boolean {
  TOKEN_PARAM.lastIndex = 0;
  return PASSWORD_USERINFO.test(text) || TOKEN_PARAM.test(text);
}

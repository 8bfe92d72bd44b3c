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

/** Environment variables whose values {@link redactSecrets} treats as secrets, by name. */
export const SECRET_ENV_NAME = /PASS|TOKEN|SECRET|KEY|CREDENTIAL/i;

/** Values too short or too plain to be a secret, and too common to mask everywhere (`SSH_KEY_CHECK=yes`). */
const NOT_SECRET = /^(?:.{0,3}|true|false|yes|no|on|off)$/i;

/** The values of the secret-named variables in `env`, longest first (so no part of a longer one survives). */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = Object.entries(env).flatMap(([name, value]) => (value && SECRET_ENV_NAME.test(name) && !NOT_SECRET.test(value) ? [value] : []));
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

/**
 * {@link redact}, and mask the value of every environment variable whose name says it holds a
 * secret (IPMI_PASSWORD, BMC_TOKEN, TBX_WEBHOOK_SECRET, ...). For text from a command tbx
 * ran with its environment (power commands): the command may print what it was given.
 * Apply it to the whole text before cutting a tail, so no secret is cut in half and kept.
 */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const value of secretValues(env)) out = out.split(value).join('***');
  return redact(out);
}

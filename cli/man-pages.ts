import type { Command, Option } from 'commander';
import { MAN_SECTIONS } from './man-sections.js';

/** One generated page: file name under docs/ and its markdown. */
export interface ManPage {
  file: string;
  text: string;
}

/**
 * Man-page style markdown for `tbx` and every (sub)command: NAME, SYNOPSIS, DESCRIPTION,
 * OPTIONS (with environment variables and defaults), the command's own help notes and
 * examples, and the hand-written sections of {@link MAN_SECTIONS}.
 */
export function manPages(program: Command): ManPage[] {
  const pages: ManPage[] = [];
  const visit = (cmd: Command, path: string[]) => {
    const subs = (cmd.commands as readonly (Command & { _hidden?: boolean })[]).filter((c) => !c._hidden && c.name() !== 'help');
    pages.push(page(cmd, path, subs));
    for (const c of subs) visit(c, [...path, c.name()]);
  };
  visit(program, []);
  return pages;
}

function page(cmd: Command, path: string[], subs: Command[]): ManPage {
  const name = ['tbx', ...path].join(' ');
  const file = `${['tbx', ...path].join('-')}.1.md`;
  const out: string[] = [`# ${name.toUpperCase().replace(/ /g, '-')}(1)`, '', '## NAME', '', `${name} - ${cmd.description()}`, '', '## SYNOPSIS', '', '```', `${name} ${cmd.usage()}`, '```', ''];
  if (subs.length) {
    out.push('## COMMANDS', '', '| command | what it does | page |', '| --- | --- | --- |');
    for (const s of subs) out.push(`| \`${name} ${s.name()}\` | ${s.description()} | [${['tbx', ...path, s.name()].join('-')}(1)](${['tbx', ...path, s.name()].join('-')}.1.md) |`);
    out.push('');
  }
  const options = (cmd.options as readonly (Option & { hidden?: boolean })[]).filter((o) => !o.hidden);
  if (options.length) {
    out.push('## OPTIONS', '');
    for (const o of options) {
      const extra = [o.envVar ? `environment \`${o.envVar}\`` : null, o.defaultValue !== undefined && o.defaultValue !== '' && !o.negate && o.defaultValue !== false ? `default \`${Array.isArray(o.defaultValue) ? o.defaultValue.join(' ') : String(o.defaultValue)}\`` : null, o.argChoices ? `one of ${o.argChoices.map((c) => `\`${c}\``).join(', ')}` : null].filter(Boolean);
      out.push(`\`${o.flags}\`  `, `: ${o.description}${extra.length ? ` (${extra.join('; ')})` : ''}`, '');
    }
  }
  const notes = afterHelp(cmd);
  if (notes) out.push('## NOTES AND EXAMPLES', '', '```', notes, '```', '');
  for (const [title, body] of Object.entries(MAN_SECTIONS[path.join(' ')] ?? {})) out.push(`## ${title}`, '', body, '');
  out.push('## SEE ALSO', '', [...(path.length ? ['[tbx(1)](tbx.1.md)'] : []), '[exit codes](exit-codes.md)', '[architecture](architecture.md)'].join(', '), '');
  return { file, text: out.join('\n') };
}

/** The text a command prints after its generated help (notes, examples, exit codes). */
function afterHelp(cmd: Command): string {
  let text = '';
  const saved = (cmd as unknown as { _outputConfiguration: object })._outputConfiguration;
  cmd.configureOutput({ writeOut: (s) => void (text += s), writeErr: (s) => void (text += s) });
  const base = cmd.helpInformation();
  cmd.outputHelp();
  cmd.configureOutput(saved);
  return text.slice(text.indexOf(base) + base.length).trim();
}

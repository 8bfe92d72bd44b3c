import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { runTbx } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Ask the generated bash completion what it offers for `line` (a trailing space means a new word). */
async function complete(script: string, line: string): Promise<string> {
  const r = await execa('bash', ['-c', `source "$1"; read -ra COMP_WORDS <<< "$2"; [[ $2 == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _tbx; echo "\${COMPREPLY[*]}"`, 'x', script, line]);
  return r.stdout;
}

test('bash completion -> subcommands, nested subcommands, options, choices and actions', async (t) => {
  const script = join(await tempDir(t), 'tbx.bash');
  const r = await runTbx(['completion', 'bash']);
  assert.equal(r.exitCode, 0);
  await writeFile(script, r.stdout);
  assert.equal(await complete(script, 'tbx st'), 'status');
  assert.equal(await complete(script, 'tbx init '), 'site fleet');
  assert.equal(await complete(script, 'tbx init site --t'), '--tftp');
  assert.equal(await complete(script, 'tbx status -o '), 'table wide json yaml');
  assert.equal(await complete(script, 'tbx plan --format '), 'text json yaml markdown');
  assert.equal(await complete(script, 'tbx request tb-a re'), 'restore refresh-info rescue');
  assert.match(await complete(script, 'tbx reconcile --'), /--metrics-file .*--webhook-url/);
});

test('zsh completion -> valid zsh defining a function per command with its options', { skip: !existsSync('/usr/bin/zsh') && 'zsh is not installed' }, async (t) => {
  const script = join(await tempDir(t), '_tbx');
  await writeFile(script, (await runTbx(['completion', 'zsh'])).stdout);
  await execa('zsh', ['-n', script]);
  // Stub the completion system and print what each function hands to it.
  const r = await execa('zsh', ['-c', `_arguments() { print -r -- "ARGS $*" }; _describe() { print -r -- "DESCRIBE $*" }; source "$1" 2>/dev/null; _tbx_status; _tbx_init_site`, 'x', script]);
  assert.match(r.stdout, /ARGS -s .*\(-o --output\)-o\[output format\]:value:\(table wide json yaml\)/);
  assert.match(r.stdout, /--tftp\[TFTP root .*\]:path:_files/);
});

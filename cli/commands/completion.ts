import { Argument, type Command } from 'commander';
import { ACTIONS } from '../../schema/types.js';
import { bashCompletion, zshCompletion } from '../completion.js';

/** `tbx completion bash|zsh`: print a shell completion script generated from the command tree. */
export function register(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      `
Examples:
  tbx completion bash > /etc/bash_completion.d/tbx          # system-wide, or:
  echo 'source <(tbx completion bash)' >> ~/.bashrc
  tbx completion zsh > "\${fpath[1]}/_tbx" && compinit`,
    )
    .action((shell: string) => {
      const extra = { request: [...ACTIONS] };
      process.stdout.write(shell === 'bash' ? bashCompletion(program.parent ?? program, extra) : zshCompletion(program.parent ?? program, extra));
    });
}

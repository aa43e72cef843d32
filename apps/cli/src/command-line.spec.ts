import { runCli } from './cli-runner';
import { EXIT } from './errors';

/**
 * The command line as a person types it, through the command npx runs (bin/sparkflow): what is refused here
 * is refused before anything is asked of the stack, so none needs to run.
 */
describe('sparkflow, run as bin/sparkflow', () => {
  it.each([
    [
      ['batches', 'list', '--limit', ' 5'],
      'sparkflow: --limit " 5": expected a whole number of at least 1\n',
    ],
    [
      ['top', '--once', '--interval', '1000\t'],
      'sparkflow: --interval "1000\\t": expected a whole number of at least 1\n',
    ],
    [
      ['topics', 'tail', 'users.dlq', '--offset', '0:1 '],
      'sparkflow: --offset "0:1 ": expected <partition>:<offset>, e.g. 0:42\n',
    ],
    [
      ['batches', 'list', '--json=true'],
      'sparkflow: --json takes no value, given "--json=true": give --json alone\n',
    ],
    [
      ['batches', 'list', '--json', 'true'],
      'sparkflow: too many arguments for sparkflow batches list: "true" (it takes none; --json takes no value)\n',
    ],
    [
      ['batches', 'list', '--since', '--incomplete'],
      'sparkflow: --since is missing its value: "--incomplete" after it is an option (a value that starts so is written --since=--incomplete)\n',
    ],
    [
      ['batches', 'list', '--limit', '5', '--limit', '7'],
      'sparkflow: --limit is given more than once: it takes one value\n',
    ],
  ])(
    'sparkflow %j exits 2 naming the option',
    async (args, stderr) => {
      const r = await runCli(args);
      expect(r).toEqual({ code: EXIT.usage, stdout: '', stderr });
    },
    60_000,
  );

  it('sparkflow --version --json prints the release as JSON, as --json prints everything on stdout', async () => {
    const r = await runCli(['--version', '--json']);
    expect({ code: r.code, stderr: r.stderr, stdout: JSON.parse(r.stdout) }).toEqual({
      code: EXIT.ok,
      stderr: '',
      stdout: { version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    });
  }, 60_000);
});

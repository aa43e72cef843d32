import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './compose-file';

const STACK_DIR = join(REPO_ROOT, 'deploy', 'local', 'src');

/**
 * The component names of the native stack, read from `COMPONENTS` in deploy/local/src/stack.ts.
 * deploy/local is an ops app and cannot be imported, so its source is read: each entry is either
 * `service('<name>')` or an imported component object whose file declares `name: '<name>'` or builds it
 * with a factory called on the name (`export const sparkMaster: Component = daemon('spark-master', …)`).
 */
export function nativeComponents(): string[] {
  const source = readFileSync(join(STACK_DIR, 'stack.ts'), 'utf8');
  const list = /export const COMPONENTS[^=]*=\s*\[([\s\S]*?)\];/.exec(source);
  if (!list)
    throw new Error('deploy/local/src/stack.ts no longer declares `export const COMPONENTS = [ … ];`');
  return list[1]
    .split(',')
    .map((s) => s.replace(/\/\/.*$/gm, '').trim())
    .filter(Boolean)
    .map((entry) => {
      const call = /^service\(\s*['"]([\w-]+)['"]\s*\)$/.exec(entry);
      if (call) return call[1];
      if (!/^\w+$/.test(entry)) throw new Error(`cannot read COMPONENTS entry "${entry}"`);
      const from = new RegExp(
        `import\\s*\\{[^}]*\\b${entry}\\b[^}]*\\}\\s*from\\s*['"](\\./[^'"]+)['"]`,
      ).exec(source);
      if (!from) throw new Error(`COMPONENTS entry ${entry} is not imported from a local file`);
      const file = readFileSync(join(STACK_DIR, `${from[1]}.ts`), 'utf8');
      const built = new RegExp(`export const ${entry}\\b[^=]*=\\s*\\w+\\(\\s*['"]([\\w-]+)['"]`).exec(file);
      if (built) return built[1];
      const name = /^\s*name:\s*(?:['"]([\w-]+)['"]|(\w+)),?\s*$/m.exec(file);
      if (!name) throw new Error(`${from[1]}.ts declares no component name`);
      if (name[1]) return name[1];
      const constant = new RegExp(`const ${name[2]}\\b[^=]*=\\s*['"]([\\w-]+)['"]`).exec(file);
      if (!constant)
        throw new Error(`${from[1]}.ts names its component by ${name[2]}, which is not a string constant`);
      return constant[1];
    });
}

/**
 * The default the native stack gives one of its settings, read from its schema in deploy/local/src/config.ts
 * (`NAME: <schema>.default('<value>')`), so Compose can be held to the same value.
 */
export function nativeDefault(name: string): string {
  const source = readFileSync(join(STACK_DIR, 'config.ts'), 'utf8');
  const found = new RegExp(`^\\s*${name}:[^\\n]*\\.default\\(\\s*['"]([^'"]+)['"]\\s*\\)`, 'm').exec(source);
  if (!found) throw new Error(`deploy/local/src/config.ts gives ${name} no string default`);
  return found[1];
}

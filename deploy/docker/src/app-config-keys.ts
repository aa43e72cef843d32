import { join } from 'node:path';
import { REPO_ROOT } from './compose-file';

/** An app's own config, parsed from `values` as its config module does at boot (defaults filled in). */
export async function appConfig(
  app: string,
  values: Record<string, string>,
): Promise<Record<string, unknown>> {
  const modulePath = join(REPO_ROOT, 'apps', app, 'src', `${app}.config.ts`);
  const mod = (await import(modulePath)) as Record<string, unknown>;
  const validate = Object.entries(mod).find(
    ([k, v]) => /^validate\w*Config$/.test(k) && typeof v === 'function',
  )?.[1] as ((raw: Record<string, unknown>) => Record<string, unknown>) | undefined;
  if (!validate) throw new Error(`${modulePath} exports no validate…Config()`);
  return validate(values);
}

/** The environment keys an app's own config module keeps after parsing `values` (zod drops unknown keys). */
export async function appConfigKeys(app: string, values: Record<string, string>): Promise<Set<string>> {
  return new Set(Object.keys(await appConfig(app, values)));
}

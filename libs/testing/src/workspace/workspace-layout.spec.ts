import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// The workspace's own layout, checked so that a project's name, folder and import path cannot drift apart.
const ROOT = resolve(__dirname, '..', '..', '..', '..');
const GROUPS = ['apps', 'libs', 'deploy'];

interface Project {
  folder: string;
  name: string;
  tags: string[];
}

function projects(): Project[] {
  const folders = readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
    .flatMap((d) =>
      GROUPS.includes(d.name)
        ? readdirSync(join(ROOT, d.name), { withFileTypes: true })
            .filter((c) => c.isDirectory())
            .map((c) => `${d.name}/${c.name}`)
        : [d.name],
    )
    .filter((folder) => existsSync(join(ROOT, folder, 'project.json')));
  return folders.map((folder) => {
    const json = JSON.parse(readFileSync(join(ROOT, folder, 'project.json'), 'utf8')) as {
      name: string;
      tags?: string[];
    };
    return { folder, name: json.name, tags: json.tags ?? [] };
  });
}

/** apps/x and libs/x are project x; any other folder a/b is project a-b. */
function expectedName(folder: string): string {
  return folder.replace(/^(apps|libs)\//, '').replace(/\//g, '-');
}

function pathAliases(): Record<string, string[]> {
  const base = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  return base.compilerOptions.paths;
}

describe('workspace layout', () => {
  const all = projects();

  it('finds the projects', () => {
    expect(all.map((p) => p.name)).toEqual(
      expect.arrayContaining(['contracts', 'enrichment', 'enrichment-core']),
    );
  });

  it.each(all.map((p) => [p.folder, p] as const))(
    'names the project in %s after its folder',
    (_folder, p) => {
      expect(p.name).toBe(expectedName(p.folder));
    },
  );

  it.each(all.filter((p) => p.folder.startsWith('libs/')).map((p) => [p.name] as const))(
    'imports lib %s as @sparkflow/<its name> from its index',
    (name) => {
      expect(pathAliases()[`@sparkflow/${name}`]).toEqual([`libs/${name}/src/index.ts`]);
    },
  );

  it('resolves every @sparkflow/* path alias to a file of a lib named like the alias', () => {
    const libs = new Set(all.filter((p) => p.folder.startsWith('libs/')).map((p) => p.name));
    for (const [alias, targets] of Object.entries(pathAliases())) {
      expect({ alias, lib: libs.has(alias.replace(/^@sparkflow\//, '')) }).toEqual({ alias, lib: true });
      for (const target of targets)
        expect({ alias, target, exists: existsSync(join(ROOT, target)) }).toEqual({
          alias,
          target,
          exists: true,
        });
    }
  });

  it('constrains exactly the tags the projects carry', () => {
    const eslint = readFileSync(join(ROOT, 'eslint.config.mjs'), 'utf8');
    const constrained = new Set([...eslint.matchAll(/sourceTag: '([^']+)'/g)].map((m) => m[1]));
    const carried = new Set(all.flatMap((p) => p.tags));
    expect([...carried].filter((t) => !constrained.has(t)).sort()).toEqual([]);
    expect([...constrained].filter((t) => !carried.has(t)).sort()).toEqual([]);
  });

  it('gives every project one type: and one scope: tag', () => {
    for (const p of all) {
      const kinds = p.tags.map((t) => t.split(':')[0]).sort();
      expect({ project: relative(ROOT, join(ROOT, p.folder)), kinds }).toEqual({
        project: p.folder,
        kinds: ['scope', 'type'],
      });
    }
  });
});

// Compiles the TypeScript an app needs to CommonJS with SWC (decorator metadata for NestJS/TypeORM, which
// esbuild cannot emit) and rewrites the tsconfig path aliases to relative requires, so the runtime image
// needs neither a compiler nor dev dependencies:  node deploy/docker/compile.js <outDir> <dir…>
const { transformFileSync } = require('@swc/core');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const { compilerOptions } = require(path.join(root, 'tsconfig.base.json'));
const [outDir, ...dirs] = process.argv.slice(2);
if (!outDir || !dirs.length) {
  console.error('usage: node deploy/docker/compile.js <outDir> <dir…>');
  process.exit(2);
}

// Specs, and the helpers only specs import (a project's src/testing/), never reach a build.
const skip = (rel) =>
  /\.(spec|integration-spec)\.ts$/.test(rel) || rel.endsWith('.d.ts') || /(^|\/)src\/testing\//.test(rel);
function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') yield* walk(p);
    } else yield p;
  }
}

let count = 0;
for (const dir of dirs) {
  for (const file of walk(path.join(root, dir))) {
    const rel = path.relative(root, file);
    const target = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (file.endsWith('.ts')) {
      if (skip(rel)) continue;
      const { code } = transformFileSync(file, {
        sourceMaps: false,
        module: { type: 'commonjs' },
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          baseUrl: root,
          paths: compilerOptions.paths,
        },
      });
      fs.writeFileSync(target.replace(/\.ts$/, '.js'), code);
      count++;
    } else if (!/\.(js|md)$/.test(file) || dir.startsWith('scripts')) {
      // Data files the code reads at run time (CQL migrations, JSON fixtures).
      fs.copyFileSync(file, target);
    }
  }
}
console.log(`compiled ${count} files to ${outDir}`);

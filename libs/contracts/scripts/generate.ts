/**
 * Writes the contracts the Python side reads: one JSON Schema per topic value, `topics.json` and `limits.json`.
 * `nx run contracts:generate` rewrites them; the drift spec fails when the committed files are stale.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFiles } from '../src/lib/generated-files';

const dir = join(__dirname, '..', 'generated');
mkdirSync(dir, { recursive: true });
for (const [name, content] of Object.entries(generatedFiles())) {
  writeFileSync(join(dir, name), content);
  console.log(`wrote libs/contracts/generated/${name}`);
}

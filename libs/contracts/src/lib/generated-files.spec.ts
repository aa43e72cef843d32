import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFiles } from './generated-files';

const dir = join(__dirname, '..', '..', 'generated');

describe('libs/contracts/generated', () => {
  it('matches the zod schemas (run `npx nx run contracts:generate` after changing a contract)', () => {
    const expected = generatedFiles();
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, content] of Object.entries(expected)) {
      expect({ name, content: readFileSync(join(dir, name), 'utf8') }).toEqual({ name, content });
    }
  });
});

/** `npm run docs`: rewrites the generated sections of the documentation in place. */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GENERATED_SECTIONS, replaceSection } from './generated-sections.js';

const root = resolve(import.meta.dirname, '../../..');
for (const section of GENERATED_SECTIONS) {
  const path = resolve(root, section.file);
  const before = readFileSync(path, 'utf8');
  const after = replaceSection(before, section);
  if (after !== before) {
    writeFileSync(path, after);
    process.stdout.write(`updated ${section.file} (${section.marker})\n`);
  }
}

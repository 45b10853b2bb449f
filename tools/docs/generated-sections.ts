/**
 * The parts of the documentation generated from the code: the README's flags table (from the flag
 * declarations) and the table of docs/errors.md (from the error catalog). `npm run docs` rewrites them;
 * test/unit/docs.test.ts fails when they are stale.
 */
import { flagsMarkdownTable } from '../../src/cli/help.js';
import { errorsMarkdownTable } from '../../src/errors.js';

export interface GeneratedSection {
  readonly file: string;
  readonly marker: string;
  readonly content: () => string;
}

export const GENERATED_SECTIONS: readonly GeneratedSection[] = [
  { file: 'README.md', marker: 'flags', content: flagsMarkdownTable },
  { file: 'docs/errors.md', marker: 'errors', content: errorsMarkdownTable },
];

const begin = (marker: string) => `<!-- generated:${marker}:begin (npm run docs) -->\n`;
const end = (marker: string) => `<!-- generated:${marker}:end -->`;

/** The text with the section between its markers replaced; throws when the markers are missing. */
export function replaceSection(text: string, section: GeneratedSection): string {
  const b = text.indexOf(begin(section.marker));
  const e = text.indexOf(end(section.marker));
  if (b < 0 || e < b) throw new Error(`${section.file}: markers of the generated "${section.marker}" section are missing`);
  return text.slice(0, b + begin(section.marker).length) + section.content() + text.slice(e);
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_FLAGS } from '../../src/cli/flags.js';
import { helpText } from '../../src/cli/help.js';
import { ERROR_CATALOG } from '../../src/errors.js';
import { METRICS, METRIC_NAMES } from '../../src/metrics/catalog.js';
import { GENERATED_SECTIONS, replaceSection } from '../../tools/docs/generated-sections.js';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('docs/metrics.md', () => {
  const doc = read('docs/metrics.md');

  it('documents every metric with its type and labels', () => {
    for (const def of Object.values(METRICS)) {
      const labels = def.labels.length > 0 ? `{${def.labels.join(', ')}}` : '';
      expect(doc, def.name).toContain(`### \`${def.name}${labels}\` (${def.type})`);
    }
  });

  it('names no metric that does not exist', () => {
    const named = new Set(doc.match(/rdsleak_[a-z_]+/g));
    for (const name of named) expect(METRIC_NAMES, name).toContain(name);
  });
});

describe('README', () => {
  it('starts with the two commands of a fresh machine, and .ci/run runs the same test command', () => {
    const readme = read('README.md');
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());
    expect(blocks[0]).toBe('npm ci && npm start');
    const testCommand = blocks[1] ?? '';
    expect(testCommand).toMatch(/npm run test:all/);
    expect(read('.ci/run')).toContain(testCommand.split('\n').at(-1) ?? '<none>');
  });

  it('lists every flag, and --help too', () => {
    const readme = read('README.md');
    const help = helpText();
    for (const flag of ALL_FLAGS) {
      expect(readme, flag.name).toContain(`\`--${flag.name}\``);
      expect(help, flag.name).toContain(`--${flag.name}`);
    }
  });
});

describe('generated sections', () => {
  for (const section of GENERATED_SECTIONS) {
    it(`${section.file} (${section.marker}) is current: run npm run docs`, () => {
      const text = read(section.file);
      expect(replaceSection(text, section)).toBe(text);
    });
  }
});

describe('error codes (docs/errors.md)', () => {
  const thrown = new Map<string, string[]>();
  for (const file of sourceFiles(resolve(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new (?:RdsLeakError|UsageError)\(\s*'(E_[A-Z_]+)'/g)) {
      const code = m[1] ?? '';
      thrown.set(code, [...(thrown.get(code) ?? []), file]);
    }
  }

  it('every code thrown is in the catalog, and every catalog code is thrown somewhere', () => {
    expect([...thrown.keys()].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
  });

  it('docs/errors.md lists every code with its exit status', () => {
    const doc = read('docs/errors.md');
    for (const [code, e] of Object.entries(ERROR_CATALOG)) expect(doc, code).toContain(`| \`${code}\` | ${e.exitCode} |`);
  });
});

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS, METRIC_NAMES } from '../../src/metrics/catalog.js';
import { FLAGS } from '../../src/config/flag-definitions.js';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

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
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    expect(blocks[0]).toBe('npm ci && npm start');
    const testCommand = blocks[1];
    expect(testCommand).toMatch(/npm run test:all/);
    expect(read('.ci/run')).toContain(testCommand.split('\n').at(-1)!);
  });

  it('lists every flag', () => {
    const readme = read('README.md');
    for (const flag of FLAGS) expect(readme, flag.name).toContain(`--${flag.name}`);
  });
});

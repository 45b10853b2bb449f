/**
 * docs/install-windows.md stays true to the MSI source and the metrics: every MSI property the table
 * documents is declared in the .wxs (and the other way round for the public ones), the defaults agree,
 * the headings other pages link to exist, and every rdsleak_ metric it names exists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/metrics/catalog.js';
import { REPO_ROOT } from '../mixin/helpers.js';

const doc = readFileSync(join(REPO_ROOT, 'docs', 'install-windows.md'), 'utf8');
const wxs = readFileSync(join(REPO_ROOT, 'packaging', 'msi', 'rds-leak-exporter.wxs'), 'utf8');
/** Public MSI properties: upper case with an underscore, as windows_exporter names them. */
const declared = new Map([...wxs.matchAll(/<Property Id="([A-Z]+_[A-Z_]+)"(?: Value="([^"]*)")?/g)].map((m) => [m[1]!, m[2] ?? '']));

describe('docs/install-windows.md', () => {
  it('documents exactly the public MSI properties, with their defaults', () => {
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);
    expect(rows.map(([name]) => name).sort()).toEqual([...declared.keys()].sort());
    for (const [name, documented] of rows) {
      const value = declared.get(name)!;
      if (value !== '') expect(documented, name).toBe(`\`${value}\``);
    }
  });

  it('has the headings that the README and the service guide link to', () => {
    for (const heading of ['## The MSI (recommended)', '## Textfile mode (no new port)', '## Install as a service with the exe', '## Single executable', '## Troubleshooting']) {
      expect(doc).toContain(`\n${heading}\n`);
    }
  });

  it('names only metrics that exist', () => {
    for (const name of new Set(doc.match(/rdsleak_[a-z_]+/g))) expect(METRIC_NAMES, name).toContain(name);
  });
});

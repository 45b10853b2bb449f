/**
 * npm run package (scripts/release/package.mjs): the zip holds the executable, the MSI, the notices,
 * config.example.yaml, dashboards, alerts, Kubernetes manifests, docs and SHA256SUMS, all under one
 * folder; every SHA256SUMS line matches its entry and every entry has one. The executable and MSI here are
 * placeholders (--from): the real ones are built by build:exe / build:msi, which this test does not wait for.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import yauzl from 'yauzl';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../mixin/helpers.js';
import { tempDir } from '../fixtures/temp-dir.js';

const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const TOP = `rds-leak-exporter-${version}-windows-x64`;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Every entry of the zip: name -> bytes. */
function readZip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const entries = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          buffer(stream).then((bytes) => {
            entries.set(entry.fileName, bytes);
            zip.readEntry();
          }, reject);
        });
      });
      zip.once('end', () => resolve(entries));
      zip.once('error', reject);
      zip.readEntry();
    });
  });
}

let zipPath: string;
let entries: Map<string, Buffer>;
let from: string;

beforeAll(async () => {
  from = tempDir('release-from');
  const out = tempDir('release-out');
  writeFileSync(join(from, 'rds-leak-exporter.exe'), 'MZ placeholder executable');
  writeFileSync(join(from, `rds-leak-exporter-${version}-x64.msi`), 'placeholder MSI');
  writeFileSync(join(from, 'THIRD-PARTY-NOTICES.txt'), 'notices');
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'release', 'package.mjs'), '--from', from, '--out', out], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  zipPath = r.stdout.trim().split('\n').at(-1)!;
  expect(zipPath).toBe(join(out, `${TOP}.zip`));
  entries = await readZip(zipPath);
});

describe('release zip', () => {
  it('lists the executable, the MSI, notices, config example, dashboards, alerts, Kubernetes manifests, docs, README and SHA256SUMS under one folder', () => {
    const names = [...entries.keys()];
    expect(names.every((n) => n.startsWith(`${TOP}/`))).toBe(true);
    const inside = names.map((n) => n.slice(TOP.length + 1)).sort();
    const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
    const dashboards = readdirSync(join(REPO_ROOT, 'dashboards')).filter((f) => f.endsWith('.json')).map((f) => `dashboards/${f}`);
    const kubernetes = readdirSync(join(REPO_ROOT, 'deploy', 'kubernetes')).map((f) => `deploy/kubernetes/${f}`);
    expect(inside).toEqual(
      [
        'rds-leak-exporter.exe',
        `rds-leak-exporter-${version}-x64.msi`,
        'THIRD-PARTY-NOTICES.txt',
        'config.example.yaml',
        'README.md',
        'Dockerfile.windows',
        'SHA256SUMS',
        'alerts/rds-leak-alerts.yml',
        'alerts/rds-leak-rules.yml',
        'alerts/alertmanager.example.yml',
        ...docs,
        ...dashboards,
        ...kubernetes,
      ].sort(),
    );
    expect(docs).toContain('docs/install-windows.md');
    expect(dashboards.length).toBeGreaterThan(0);
    expect(entries.get(`${TOP}/rds-leak-exporter.exe`)?.toString()).toBe('MZ placeholder executable');
    expect(entries.get(`${TOP}/config.example.yaml`)?.toString()).toBe(readFileSync(join(REPO_ROOT, 'packaging', 'config.yaml'), 'utf8'));
  });

  it('SHA256SUMS has one line per other entry, in sha256sum format, and every sum verifies', () => {
    const sums = entries.get(`${TOP}/SHA256SUMS`)!.toString();
    const lines = sums.trimEnd().split('\n');
    const listed = new Map(
      lines.map((line) => {
        const m = /^([0-9a-f]{64}) {2}(\S.*)$/.exec(line);
        expect(m, line).not.toBeNull();
        return [m![2]!, m![1]!];
      }),
    );
    const others = [...entries.keys()].filter((n) => n !== `${TOP}/SHA256SUMS`);
    expect(listed.size).toBe(others.length);
    for (const name of others) expect(listed.get(name.slice(TOP.length + 1)), name).toBe(sha256(entries.get(name)!));
  });

  it('`sha256sum -c` accepts the unpacked release, and <zip>.sha256 matches the zip', () => {
    const dir = tempDir('release-unpacked');
    for (const [name, bytes] of entries) {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    }
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(dir, TOP), encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout.trim().split('\n')).toHaveLength(entries.size - 1);
    const [sum, name] = readFileSync(`${zipPath}.sha256`, 'utf8').trim().split(/ {2}/);
    expect(name).toBe(`${TOP}.zip`);
    expect(sum).toBe(sha256(readFileSync(zipPath)));
  });

  it('fails with a clear message when the MSI is missing', () => {
    const empty = tempDir('release-empty');
    writeFileSync(join(empty, 'rds-leak-exporter.exe'), 'x');
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'release', 'package.mjs'), '--from', empty, '--out', empty], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`rds-leak-exporter-${version}-x64.msi is missing`);
  });
});

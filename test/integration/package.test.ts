import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeSnapshot } from '../../src/sources/file/snapshot-file.js';
import { articleHost } from '../fixtures/scenarios.js';
import { tempDir } from '../fixtures/temp-dir.js';

/**
 * The production installs docs/install-windows.md documents, with production dependencies only (no
 * TypeScript, no test tools): `npm ci --omit=dev` next to a built `dist/`, and the `npm pack` tarball
 * installed into an empty folder. Both must start the agent. Needs the npm registry (as `npm ci` does).
 */
const root = resolve(import.meta.dirname, '../..');
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

function reportArticleHost(cli: string, dir: string): { status: number | null; stdout: string; stderr: string } {
  const snapshot = join(dir, 'article.json');
  writeFileSync(snapshot, serializeSnapshot(articleHost().build('2026-11-25T10:00:00.000Z')));
  const r = spawnSync(process.execPath, [cli, 'report', '--source=file', `--file.path=${snapshot}`, '--zombie.grace-period=0s'], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('production install', () => {
  it('npm ci --omit=dev after npm run build leaves an agent that starts', () => {
    const dir = tempDir('omit-dev');
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(dir, f));
    cpSync(join(root, 'dist/src'), join(dir, 'dist/src'), { recursive: true });
    npm(['ci', '--omit=dev'], dir);
    expect(existsSync(join(dir, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/vitest'))).toBe(false);
    const r = reportArticleHost(join(dir, 'dist/src/bin/cli.js'), dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Zombie logon session 00000000:0017c025');
  }, 300_000);

  it('npm pack gives a package that installs and runs with production dependencies only', () => {
    const dir = tempDir('pack');
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], root)) as { filename: string; files: { path: string }[] }[];
    const tarball = packed[0];
    if (!tarball) throw new Error('npm pack produced nothing');
    const files = tarball.files.map((f) => f.path);
    expect(files).toContain('dist/src/bin/cli.js');
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('dist/bench/'))).toBe(false);
    const app = tempDir('pack-app');
    npm(['init', '-y'], app);
    npm(['install', '--omit=dev', join(dir, tarball.filename)], app);
    expect(readdirSync(join(app, 'node_modules')).includes('typescript')).toBe(false);
    const version = spawnSync(process.execPath, [join(app, 'node_modules/rds-leak-exporter/dist/src/bin/cli.js'), '--version'], { encoding: 'utf8' });
    expect(version.stdout).toMatch(/^rds-leak-exporter \d+\.\d+\.\d+/);
    const r = reportArticleHost(join(app, 'node_modules/rds-leak-exporter/dist/src/bin/cli.js'), app);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('svchost.exe');
  }, 300_000);
});

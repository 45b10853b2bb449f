import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseCommandLine } from '../../src/cli/command-line.js';
import { REPORT_FORMAT } from '../../src/report/flags.js';
import { Exposition } from '../fixtures/exposition.js';

const ARTICLE = ['logonsessions.txt', 'handle-a-17c025.txt', 'qwinsta.txt'].map((f) => join(resolve(import.meta.dirname, '../fixtures/captures/article'), f));

async function cli(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const code = await main(argv, { stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

describe('rds-leak-exporter analyze FILE...', () => {
  it('takes the files as positional arguments, flags before or after them', () => {
    expect(parseCommandLine(['analyze', 'a.txt', '--report.format=prom', 'b.txt']).positionals).toEqual(['a.txt', 'b.txt']);
    expect(parseCommandLine(['analyze', 'a.txt']).flags.get(REPORT_FORMAT)).toBe('text');
  });

  it('other commands still refuse extra arguments', async () => {
    const r = await cli(['report', 'a.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rds-leak-exporter: unexpected argument "a.txt"\n');
  });

  it('prints the article analysis in each format with exit code 1', async () => {
    const text = await cli(['analyze', ...ARTICLE]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('Orphaned logon session (not yet confirmed) 00000000:0017c025  session 4');
    const json = await cli(['analyze', ...ARTICLE, '--report.format=json']);
    expect((JSON.parse(json.stdout) as { zombies: { logonId: string }[] }).zombies.map((z) => z.logonId)).toEqual(['00000000:0017c025']);
    const prom = await cli(['analyze', '--report.format=prom', '--metrics.include-user-names', ...ARTICLE]);
    expect(prom.code).toBe(1);
    expect(new Exposition(prom.stdout).value('rdsleak_zombie_logon_session_info', { logon_id: '00000000:0017c025', user: 'test01', domain: 'HK' })).toBe(1);
  });

  it('rejects an unknown format in one line', async () => {
    const r = await cli(['analyze', ...ARTICLE, '--report.format=xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rds-leak-exporter: --report.format: unknown value "xml" (expected text, json, prom)\n');
  });

  it('is listed in --help', async () => {
    expect((await cli(['--help'])).stdout).toContain('rds-leak-exporter analyze FILE...');
  });
});

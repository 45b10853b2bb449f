/**
 * Authenticode signing (scripts/sign/authenticode.mjs, used by build:exe and build:msi): a throwaway
 * certificate from openssl signs a small PE built with mingw and an MSI compiled by wixl from the real
 * packaging/msi/rds-leak-exporter.wxs (staged with placeholder files: only the format matters here);
 * `osslsigncode verify` accepts both against that certificate, and rejects a tampered file, another CA
 * and an unsigned file. Needs openssl, osslsigncode, x86_64-w64-mingw32-gcc and wixl (Debian packages).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../mixin/helpers.js';
import { tempDir } from '../fixtures/temp-dir.js';

const SIGN = join(REPO_ROOT, 'scripts', 'sign', 'authenticode.mjs');
let dir: string;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = dir): { status: number | null; output: string } {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function makeCertificate(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const r = run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'extendedKeyUsage=codeSigning', '-addext', 'keyUsage=digitalSignature']);
  expect(r.status, r.output).toBe(0);
  return { cert, key };
}

const verify = (file: string, ca: string) => run('osslsigncode', ['verify', '-CAfile', ca, '-in', file]);
const sign = (files: string[], env: NodeJS.ProcessEnv) => run(process.execPath, [SIGN, ...files], { ...process.env, RDSLEAK_SIGN_CERT: undefined, RDSLEAK_SIGN_KEY: undefined, ...env });

let signer: { cert: string; key: string };
let stranger: { cert: string; key: string };
let exe: string;
let msi: string;

beforeAll(() => {
  dir = tempDir('sign');
  signer = makeCertificate('rds-leak-exporter-test-signing');
  stranger = makeCertificate('someone-else');
  writeFileSync(join(dir, 'tiny.c'), 'int main(void) { return 0; }\n');
  exe = join(dir, 'tiny.exe');
  const cc = run('x86_64-w64-mingw32-gcc', ['-o', exe, 'tiny.c']);
  expect(cc.status, cc.output).toBe(0);
  copyFileSync(join(REPO_ROOT, 'packaging', 'msi', 'rds-leak-exporter.wxs'), join(dir, 'rds-leak-exporter.wxs'));
  for (const f of ['rds-leak-exporter.exe', 'THIRD-PARTY-NOTICES.txt', 'config.yaml', 'README.txt']) writeFileSync(join(dir, f), 'placeholder\n');
  msi = join(dir, 'test.msi');
  const wixl = run('wixl', ['-a', 'x64', '-D', 'Version=0.0.1', '-o', msi, 'rds-leak-exporter.wxs']);
  expect(wixl.status, wixl.output).toBe(0);
});

describe('Authenticode signing with osslsigncode', () => {
  it('an unsigned file does not verify', () => {
    expect(verify(exe, signer.cert).status).not.toBe(0);
    expect(verify(msi, signer.cert).status).not.toBe(0);
  });

  it('signs a PE and an MSI in place; osslsigncode verify accepts them with the signing certificate only', () => {
    const r = sign([exe, msi], { RDSLEAK_SIGN_CERT: signer.cert, RDSLEAK_SIGN_KEY: signer.key });
    expect(r.status, r.output).toBe(0);
    for (const file of [exe, msi]) {
      const ok = verify(file, signer.cert);
      expect(ok.status, ok.output).toBe(0);
      expect(ok.output).toContain('Signature verification: ok');
      expect(ok.output).toContain('Text description: rds-leak-exporter');
      expect(ok.output).toContain('Subject: /CN=rds-leak-exporter-test-signing');
      expect(verify(file, stranger.cert).status, 'another CA must not verify it').not.toBe(0);
    }
  });

  it('a signed PE changed afterwards no longer verifies', () => {
    const tampered = join(dir, 'tampered.exe');
    const bytes = readFileSync(exe);
    const text = bytes.indexOf(Buffer.from('.text')) + 0x400; // some byte inside the code, not the signature
    bytes[text] = (bytes[text] ?? 0) ^ 0xff;
    writeFileSync(tampered, bytes);
    const r = verify(tampered, signer.cert);
    expect(r.status, r.output).not.toBe(0);
    expect(r.output).toMatch(/MISMATCH|failed/i);
  });

  it('refuses half a configuration and a missing certificate file', () => {
    const half = sign([exe], { RDSLEAK_SIGN_CERT: signer.cert });
    expect(half.status).not.toBe(0);
    expect(half.output).toContain('set both RDSLEAK_SIGN_CERT and RDSLEAK_SIGN_KEY');
    const missing = sign([exe], { RDSLEAK_SIGN_CERT: join(dir, 'nope.pem'), RDSLEAK_SIGN_KEY: signer.key });
    expect(missing.status).not.toBe(0);
    expect(missing.output).toContain('RDSLEAK_SIGN_CERT');
    expect(missing.output).toContain('no such file');
  });
});

/**
 * The single executable's extraction of koffi's addon (src/sea/native-addon.ts), on plain files: the
 * load itself (process.dlopen of the extracted DLL) is covered under Wine by
 * test/wine/single-executable.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addonFileName, candidateDirectories, extractAddon, extractTo, sha256, type AddonManifest } from '../../src/sea/native-addon.js';

const bytes = new Uint8Array(Buffer.from('MZ pretend addon bytes'));
const manifest: AddonManifest = { version: '3.3.4', sha256: sha256(bytes) };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdsleak-addon-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('koffi addon extraction', () => {
  it('names the file after the koffi version and the content hash', () => {
    expect(addonFileName(manifest)).toBe(`koffi-3.3.4-${manifest.sha256.slice(0, 12)}.node`);
  });

  it('prefers RDSLEAK_NATIVE_DIR alone, then the executable directory, ProgramData, the temp directory', () => {
    expect(candidateDirectories({ RDSLEAK_NATIVE_DIR: '/x' }, '/opt/app/rds.exe', '/t')).toEqual(['/x']);
    expect(candidateDirectories({ ProgramData: '/pd' }, '/opt/app/rds.exe', '/t')).toEqual(['/opt/app', join('/pd', 'rds-leak-exporter'), join('/t', 'rds-leak-exporter')]);
    expect(candidateDirectories({}, '/opt/app/rds.exe', '/t')).toEqual(['/opt/app', join('/t', 'rds-leak-exporter')]);
  });

  it('writes the file once, leaves no temporary file, and reuses an identical file', () => {
    const first = extractTo(dir, bytes, manifest);
    expect(first.reused).toBe(false);
    expect(readFileSync(first.path)).toEqual(Buffer.from(bytes));
    expect(readdirSync(dir)).toEqual([addonFileName(manifest)]);
    const mtime = statSync(first.path).mtimeMs;
    const second = extractTo(dir, bytes, manifest);
    expect(second).toEqual({ path: first.path, reused: true });
    expect(statSync(first.path).mtimeMs).toBe(mtime);
  });

  it('replaces a file whose content does not match', () => {
    const path = join(dir, addonFileName(manifest));
    writeFileSync(path, 'truncated');
    expect(extractTo(dir, bytes, manifest).reused).toBe(false);
    expect(readFileSync(path)).toEqual(Buffer.from(bytes));
  });

  it('falls back to the next directory and lists every failure when none works', () => {
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'a file where a directory should be');
    const ok = join(dir, 'ok');
    expect(extractAddon(bytes, manifest, [blocked, ok]).path).toBe(join(ok, addonFileName(manifest)));
    expect(() => extractAddon(bytes, manifest, [blocked, join(blocked, 'sub')])).toThrow(/cannot write koffi's native addon.*blocked.*blocked[\\/]sub/s);
  });

  it('refuses embedded bytes that do not match their recorded hash', () => {
    expect(() => extractAddon(bytes, { ...manifest, sha256: '0'.repeat(64) }, [dir])).toThrow(/does not match/);
  });
});

/**
 * koffi's native addon inside the single executable (npm run build:exe, scripts/sea/build-exe.mjs).
 *
 * A Node-API addon is a DLL: Windows can load it only from a file, never from the SEA blob. The build
 * embeds `koffi.node` (from @koromix/koffi-win32-x64) as the SEA asset `koffi.node`, with `koffi.json`
 * ({ version, sha256 }) beside it. At the first `--source windows` this module writes the addon to a
 * versioned file `koffi-<version>-<sha256 prefix>.node`, atomically (a temporary file renamed into
 * place), reuses an existing file only when its bytes hash to the embedded sha256, and loads it with
 * process.dlopen. koffi itself receives it through its own supported lookup: koffi 3 first does
 * `require('@koromix/koffi-<platform>-<arch>')`, and the bundler maps that package to this module.
 *
 * Directory, first that works: RDSLEAK_NATIVE_DIR when set (and then only it); the executable's own
 * directory (admin-only under Program Files: a service running as LocalSystem then loads a file that
 * no ordinary user can plant); %ProgramData%\rds-leak-exporter; the temporary directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getAsset, isSea } from 'node:sea';

export interface AddonManifest {
  readonly version: string;
  readonly sha256: string;
}

export interface ExtractedAddon {
  readonly path: string;
  /** true when an identical file was already there. */
  readonly reused: boolean;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function addonFileName(manifest: AddonManifest): string {
  return `koffi-${manifest.version}-${manifest.sha256.slice(0, 12)}.node`;
}

/** Where the addon may be written, in order of preference. */
export function candidateDirectories(env: NodeJS.ProcessEnv, execPath: string, tmp: string = tmpdir()): string[] {
  if (env.RDSLEAK_NATIVE_DIR) return [env.RDSLEAK_NATIVE_DIR];
  const dirs = [dirname(execPath)];
  const programData = env.ProgramData ?? env.PROGRAMDATA ?? env.ALLUSERSPROFILE;
  if (programData) dirs.push(join(programData, 'rds-leak-exporter'));
  dirs.push(join(tmp, 'rds-leak-exporter'));
  return dirs;
}

function isIdentical(path: string, manifest: AddonManifest): boolean {
  try {
    return sha256(readFileSync(path)) === manifest.sha256;
  } catch {
    return false;
  }
}

/** Writes `bytes` to `dir/name` atomically unless an identical file is already there. */
export function extractTo(dir: string, bytes: Uint8Array, manifest: AddonManifest): ExtractedAddon {
  const path = join(dir, addonFileName(manifest));
  if (isIdentical(path, manifest)) return { path, reused: true };
  mkdirSync(dir, { recursive: true });
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx');
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(temporary, path);
    } catch (error) {
      // Another instance may have put it there meanwhile (and may hold it loaded, so it cannot be replaced).
      if (isIdentical(path, manifest)) return { path, reused: true };
      throw error;
    }
  } finally {
    rmSync(temporary, { force: true });
  }
  if (!isIdentical(path, manifest)) throw new Error(`${path} does not hold the embedded koffi addon after writing it`);
  return { path, reused: false };
}

/** Writes the addon to the first usable directory; the error lists every directory tried. */
export function extractAddon(bytes: Uint8Array, manifest: AddonManifest, dirs: readonly string[]): ExtractedAddon {
  if (sha256(bytes) !== manifest.sha256) throw new Error('the embedded koffi addon does not match its recorded sha256 (corrupt executable?)');
  const failures: string[] = [];
  for (const dir of dirs) {
    try {
      return extractTo(dir, bytes, manifest);
    } catch (error) {
      failures.push(`${dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`cannot write koffi's native addon to any directory (set RDSLEAK_NATIVE_DIR to a writable one): ${failures.join('; ')}`);
}

let loaded: { readonly exports: unknown; readonly addon: ExtractedAddon } | undefined;

/**
 * Extracts and loads koffi's addon from the SEA assets, once; `exports` is what
 * `require('@koromix/koffi-win32-x64')` returns outside the executable. The SEA entry calls it before
 * loading the Windows source, so that a failure is reported with its cause (koffi's own lookup would
 * swallow it and say only that no native module was found).
 */
export function loadEmbeddedKoffi(): { readonly exports: unknown; readonly addon: ExtractedAddon } {
  if (loaded) return loaded;
  if (!isSea()) throw new Error('not running as a single executable: koffi is not embedded');
  const manifest = JSON.parse(getAsset('koffi.json', 'utf8')) as AddonManifest;
  const bytes = new Uint8Array(getAsset('koffi.node'));
  const addon = extractAddon(bytes, manifest, candidateDirectories(process.env, process.execPath));
  const module = { exports: {} as unknown };
  process.dlopen(module, addon.path);
  loaded = { exports: module.exports, addon };
  return loaded;
}

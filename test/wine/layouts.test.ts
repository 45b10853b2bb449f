/**
 * The agent's Windows layouts against a C compiler's: layout-probe.exe (test/wine/fakes/layout-probe.c,
 * built with mingw-w64 from mingw's headers plus the hand declarations of windows-structs.h) prints the
 * size and offset of every structure and field the agent declares, run under Wine, and compared field by
 * field with layouts.ts (the offsets the decoders read) and native-types.ts (the koffi definitions).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as layouts from '../../src/sources/windows/layouts.js';
import { ALL_STRUCTS } from '../../src/sources/windows/native-types.js';
import { REPO_ROOT, buildFakes, setupWine, stopWine, winPath, type FakeBuild, type WineEnv } from '../../bench/wine-harness.js';

interface Probe {
  structs: Record<string, Record<string, number>>;
  constants: Record<string, number>;
}

/** Numeric exports of layouts.ts that are not Windows header facts (derived or arithmetic). */
const NOT_FROM_HEADERS = ['FILETIME_UNIX_EPOCH', 'FILETIME_NEVER', 'LOGON_SESSION_DATA_MIN_SIZE'];

let wine: WineEnv;
let fakes: FakeBuild;
let dir: string;
let probe: Probe;

beforeAll(() => {
  wine = setupWine();
  fakes = buildFakes();
  dir = mkdtempSync(join(tmpdir(), 'rdsleak-layouts-'));
  const out = join(dir, 'layouts.json');
  const r = spawnSync(wine.wine, [fakes.layoutProbe, winPath(out)], { env: wine.env, stdio: 'ignore', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`layout-probe.exe exited ${r.status}`);
  probe = JSON.parse(readFileSync(out, 'utf8')) as Probe;
});

afterAll(() => {
  if (wine) stopWine(wine);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tables: [string, Record<string, number>][] = Object.entries(layouts).flatMap(([name, value]) =>
  typeof value === 'object' && value !== null ? [[name, value as Record<string, number>] as [string, Record<string, number>]] : [],
);

describe('layouts.ts against mingw-w64 under Wine', () => {
  it('has every structure the agent declares', () => {
    expect(tables.length).toBeGreaterThan(8);
    for (const [name] of tables) expect(probe.structs, name).toHaveProperty(name);
  });

  it.each(tables)('%s: every size and offset agrees', (name, table) => {
    const c = probe.structs[name]!;
    const mismatches = Object.entries(table).filter(([field, value]) => c[field] !== value).map(([field, value]) => `${name}.${field}: agent ${value}, C ${c[field]}`);
    expect(mismatches).toEqual([]);
  });

  it('agrees on every constant that comes from the Windows headers', () => {
    const numeric = (Object.entries(layouts) as [string, unknown][]).filter((e): e is [string, number | bigint] => typeof e[1] === 'number' || typeof e[1] === 'bigint');
    const unprobed = numeric.map(([n]) => n).filter((n) => !(n in probe.constants));
    expect(unprobed.sort(), 'a new constant in layouts.ts needs a line in layout-probe.c').toEqual([...NOT_FROM_HEADERS].sort());
    const mismatches = numeric.filter(([n, v]) => n in probe.constants && probe.constants[n] !== Number(v)).map(([n, v]) => `${n}: agent ${String(v)}, C ${String(probe.constants[n])}`);
    expect(mismatches).toEqual([]);
  });
});

describe('native-types.ts (koffi) against mingw-w64 under Wine', () => {
  it.each(Object.keys(ALL_STRUCTS))('%s: size and every member offset agree', (name) => {
    const type = ALL_STRUCTS[name as keyof typeof ALL_STRUCTS];
    const c = probe.structs[name];
    expect(c, `layout-probe.c prints no ${name}`).toBeDefined();
    const members = Object.keys(type.members ?? {});
    expect(members.length).toBeGreaterThan(1);
    const mismatches = [`size:${koffi.sizeof(type)}`, ...members.map((m) => `${m}:${koffi.offsetof(type, m)}`)].filter((entry) => {
      const [field = '', value] = entry.split(':');
      return c![field] !== Number(value);
    });
    expect(mismatches, JSON.stringify(c)).toEqual([]);
  });
});

describe('the replacement DLLs\' compile-time layout checks', () => {
  it('fail the build when the agent\'s layout drifts', () => {
    const drift = mkdtempSync(join(tmpdir(), 'rdsleak-drift-'));
    try {
      const header = readFileSync(join(fakes.dir, 'agent-layouts.h'), 'utf8');
      expect(header).toMatch(/^#define AGENT_LOGON_SESSION_DATA_Session 68$/m);
      writeFileSync(join(drift, 'agent-layouts.h'), header.replace(/^#define AGENT_LOGON_SESSION_DATA_Session 68$/m, '#define AGENT_LOGON_SESSION_DATA_Session 72'));
      const src = join(REPO_ROOT, 'test/wine/fakes');
      // The same compile as scripts/wine/build-fakes.sh, with the drifted header found first.
      const r = spawnSync('x86_64-w64-mingw32-gcc', ['-fsyntax-only', '-std=c11', '-D_WIN32_WINNT=0x0A00', `-I${drift}`, `-I${src}`, join(src, 'secur32.c')], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('SECURITY_LOGON_SESSION_DATA.Session differs from the agent');
    } finally {
      rmSync(drift, { recursive: true, force: true });
    }
  });
});

/**
 * The Windows native source, for real, in Windows Node under Wine 8 (npm run test:wine).
 * What Wine can and cannot show is in docs/background.md (Wine): real handle tables and
 * process lists, cross-process DuplicateHandle and TokenStatistics; empty WTS/LSA answers; no kernel
 * object addresses; TokenStatistics.AuthenticationId 0:0; GetProcessHandleCount a stub (0).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/agent-process.js';
import { runDiagnose, setupWine, startLeakTool, startWineNode, stopWine, waitFor, type LeakTool, type WineEnv, type WineChild } from '../../bench/wine-harness.js';

const N = 200;
let wine: WineEnv;
let dir: string;
let leak: LeakTool | undefined;


beforeAll(async () => {
  wine = setupWine();
  dir = mkdtempSync(join(tmpdir(), 'rdsleak-wine-'));
  leak = await startLeakTool(wine, N, dir);
});

afterAll(async () => {
  await leak?.stop();
  if (wine) stopWine(wine);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Windows native source under Wine', () => {
  it('attributes the leak tool\'s token handles to its pid and image, with token ids resolved', async () => {
    const report = await runDiagnose(wine, dir, { collections: 1, pid: leak!.status.pid, name: 'attribution' });
    expect(report.error).toBeNull();
    expect(report.platform).toBe('win32');
    expect(report.valid, report.validationErrors.join('\n')).toBe(true);
    const snap = report.snapshot!;
    expect(snap.collectors.every((c) => c.success), JSON.stringify(snap.collectors)).toBe(true);
    expect(report.tokenHandlesOfPid).toBeGreaterThanOrEqual(N);
    const mine = snap.tokenHandles!.filter((h) => h.pid === leak!.status.pid);
    expect(mine.length).toBeGreaterThanOrEqual(N);
    for (const h of mine) {
      expect(h.unresolved).toBeNull();
      expect(h.tokenId).toMatch(/^[0-9a-f]{8}:[0-9a-f]{8}$/);
      expect(h.logonId).toMatch(/^[0-9a-f]{8}:[0-9a-f]{8}$/);
    }
    // Every duplicate of the tool's own token is the same token object: one token id.
    expect(new Set(mine.map((h) => h.tokenId)).size).toBe(1);
    const holder = snap.processes!.find((p) => p.pid === leak!.status.pid);
    expect(holder?.image).toBe('node.exe');
    expect(leak!.status.image.toLowerCase()).toBe('node.exe');
  });

  it('gives a valid, empty WTS/LSA answer from Wine\'s stubs without errors', async () => {
    const report = await runDiagnose(wine, dir, { collections: 1, name: 'empty' });
    expect(report.error).toBeNull();
    expect(report.valid, report.validationErrors.join('\n')).toBe(true);
    const snap = report.snapshot!;
    expect(snap.wtsSessions).toEqual([]);
    expect(snap.logonSessions).toEqual([]);
    for (const name of ['wts', 'lsa', 'processes', 'handles', 'tokens', 'services']) {
      const status = snap.collectors.find((c) => c.name === name);
      expect(status, name).toBeDefined();
      expect(status!.success, `${name}: ${status!.error}`).toBe(true);
    }
    expect(snap.processes!.length).toBeGreaterThan(3);
  });

  it('names the services each process hosts, from Wine\'s own service manager', async () => {
    const report = await runDiagnose(wine, dir, { collections: 1, name: 'services' });
    expect(report.error).toBeNull();
    expect(report.valid, report.validationErrors.join('\n')).toBe(true);
    const snap = report.snapshot!;
    const status = snap.collectors.find((c) => c.name === 'services');
    expect(status?.success, status?.error ?? 'no services collector').toBe(true);
    const imageOf = new Map<string, string>();
    for (const p of snap.processes!) for (const name of p.services ?? []) imageOf.set(name, p.image.toLowerCase());
    // Wine 8 runs these as services of their own processes, started by its services.exe.
    expect(imageOf.get('PlugPlay'), JSON.stringify([...imageOf])).toBe('plugplay.exe');
    expect(imageOf.get('RpcSs'), JSON.stringify([...imageOf])).toBe('rpcss.exe');
  });

  it('leaves the agent\'s own handle count flat over 50 consecutive collections', async () => {
    const report = await runDiagnose(wine, dir, { collections: 50, name: 'flat' });
    expect(report.error).toBeNull();
    expect(report.valid).toBe(true);
    expect(report.collections).toBe(50);
    const counts = report.ownHandleCounts;
    expect(counts.every((c) => typeof c === 'number' && c > 0), JSON.stringify(counts)).toBe(true);
    // The first collections may still open lazily created handles (DLLs, thread pool); after that: flat.
    const settled = (counts as number[]).slice(5);
    expect(Math.max(...settled) - Math.min(...settled), JSON.stringify(counts)).toBeLessThanOrEqual(2);
    expect((settled.at(-1) ?? NaN) - (settled[0] ?? NaN), JSON.stringify(counts)).toBeLessThanOrEqual(0 + 2);
  });

  it('serves /metrics over HTTP from Windows Node, counting the helper\'s token handles under process="node"', async () => {
    const port = await freePort();
    const server: WineChild = startWineNode(
      wine,
      [join('dist', 'src', 'bin', 'cli.js'), 'serve', '--source', 'windows', '--web.listen-address', `127.0.0.1:${port}`],
      dir,
      'serve',
    );
    try {
      const body = await waitFor('/metrics over HTTP', 120_000, async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(20_000) });
          if (res.status !== 200) return null;
          const text = await res.text();
          return /^rdsleak_token_handles\{[^}]*process="node"[^}]*\} /m.test(text) ? text : null;
        } catch {
          return null;
        }
      });
      const line = body.split('\n').find((l) => /^rdsleak_token_handles\{[^}]*process="node"/.test(l))!;
      const value = Number(line.trim().split(/\s+/).pop());
      expect(value, line).toBeGreaterThanOrEqual(N);
      expect(body).toMatch(/^rdsleak_collector_success\{collector="services"\} 1$/m);
    } finally {
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(timer);
    }
  });
});

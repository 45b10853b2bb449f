/**
 * Runs the real agent (`--source windows`, Windows Node under Wine) against a scripted RDS host, with the
 * replacement DLLs loaded for that process only (test/wine/fakes/README.md; the data file and the
 * allocation audit are in bench/scripted-host.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Exposition } from '../fixtures/exposition.js';
import { freePort } from '../fixtures/agent-process.js';
import { fakeHostEnv, nodeCopy, runDiagnose, startWineNode, waitFor, type DiagnoseReport, type FakeBuild, type WineEnv } from '../../bench/wine-harness.js';
import { auditAllocationLog, hostFileText, type AllocationAudit, type ScriptedHost } from '../../bench/scripted-host.js';

export * from '../../bench/scripted-host.js';

// --- running the agent against a scripted host -------------------------------------------------------------

export class ScriptedHostRun {
  readonly hostFile: string;
  readonly logFile: string;
  readonly exe: string;

  constructor(
    readonly wine: WineEnv,
    fakes: FakeBuild,
    readonly dir: string,
    readonly name: string,
  ) {
    this.hostFile = join(dir, `${name}.host`);
    this.logFile = join(dir, `${name}.alloc.log`);
    this.exe = nodeCopy(wine, 'fake-host', 'node.exe', fakes);
  }

  write(host: ScriptedHost): void {
    writeFileSync(this.hostFile, hostFileText(host));
    writeFileSync(this.logFile, '');
  }

  /** Extra environment for the agent process (e.g. RDSLEAK_FAKE_HOOK_DISABLE). */
  extraEnv: NodeJS.ProcessEnv = {};

  private get options() {
    return { exe: this.exe, env: { ...fakeHostEnv(this.hostFile, this.logFile), ...this.extraEnv } };
  }

  /** Runs `cli.js ...args` to completion; returns exit code and outputs. */
  async cli(args: readonly string[], label: string, timeoutMs = 180_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const run = startWineNode(this.wine, [join('dist', 'src', 'bin', 'cli.js'), ...args], this.dir, `${this.name}-${label}`, this.options);
    const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
    const code = await run.exited;
    clearTimeout(timer);
    return { code, stdout: readFileSync(run.stdoutFile, 'utf8'), stderr: readFileSync(run.stderrFile, 'utf8') };
  }

  async snapshot(): Promise<SnapshotJson> {
    const r = await this.cli(['snapshot', '--source', 'windows'], 'snapshot');
    if (r.code !== 0) throw new Error(`snapshot exited ${r.code}: ${r.stderr.slice(-2000)}`);
    return JSON.parse(r.stdout) as SnapshotJson;
  }

  async report(): Promise<{ code: number | null; report: ReportJson }> {
    const r = await this.cli(['report', '--source', 'windows', '--zombie.grace-period=0s', '--report.format', 'json'], 'report');
    try {
      return { code: r.code, report: JSON.parse(r.stdout) as ReportJson };
    } catch {
      throw new Error(`report exited ${r.code} without JSON: ${r.stderr.slice(-2000)}`);
    }
  }

  async textReport(): Promise<string> {
    return (await this.cli(['report', '--source', 'windows', '--zombie.grace-period=0s'], 'report-text')).stdout;
  }

  /** Serves, scrapes /metrics `scrapes` times (each a collection), stops the server; returns the last exposition. */
  async metrics(scrapes = 1): Promise<Exposition> {
    const port = await freePort();
    const server = startWineNode(
      this.wine,
      [join('dist', 'src', 'bin', 'cli.js'), 'serve', '--source', 'windows', '--web.listen-address', `127.0.0.1:${port}`, '--zombie.grace-period=0s'],
      this.dir,
      `${this.name}-serve`,
      this.options,
    );
    try {
      let last = '';
      for (let i = 0; i < scrapes; i++) {
        last = await waitFor('/metrics over HTTP', 120_000, async () => {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(60_000) });
            return res.status === 200 ? await res.text() : null;
          } catch {
            return null;
          }
        });
      }
      return new Exposition(last);
    } finally {
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(timer);
    }
  }

  diagnose(collections: number): Promise<DiagnoseReport> {
    return runDiagnose(this.wine, this.dir, { collections, name: `${this.name}-diagnose`, ...this.options });
  }

  audit(): AllocationAudit {
    return auditAllocationLog(this.logFile);
  }
}

/** The parts of the snapshot JSON these scenarios read. */
export interface SnapshotJson {
  wtsSessions: { sessionId: number; name: string; state: string; user: string | null; domain: string | null }[] | null;
  logonSessions: { logonId: string; sessionId: number; logonType: string; user: string | null; domain: string | null; authPackage: string | null; logonTime: string | null; sid: string | null }[] | null;
  processes: { pid: number; image: string; logonId: string | null }[] | null;
  tokenHandles: { pid: number; tokenId: string | null; logonId: string | null; unresolved: string | null }[] | null;
  collectors: { name: string; success: boolean; error: string | null }[];
  issues: { collector: string; kind: string; count: number }[];
}

export interface ReportJson {
  sessions: { present: number; highestSessionId: number } | null;
  zombies: { logonId: string; sessionId: number; user: string | null; domain: string | null; reason: string; accountKind: string; holders: { image: string; pid: number; handles: number }[] }[] | null;
  pinnedSessionIds: number[] | null;
  tokens: { total: number; leaked: number; byProcess: Record<string, { total: number; leaked: number }> } | null;
  collectors: { name: string; success: boolean; error: string | null }[];
}

/** The agent's own handle count settles after the first collections (lazily opened handles), then stays flat. */
export function settledHandleCounts(report: DiagnoseReport, skip = 3): number[] {
  return report.ownHandleCounts.slice(skip).filter((c): c is number => typeof c === 'number');
}

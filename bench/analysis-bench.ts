/**
 * `npm run bench`: analysis + exposition for a large synthetic host (100,000 token handles across 2,000
 * processes, 500 logon sessions, 200 zombies). Prints time per collection and peak memory; the results
 * go to docs/performance.md. Targets: under 200 ms and under 200 MB. Then analysis alone at 10k / 100k /
 * 1M / 2M handles, as time per handle: it must grow linearly (2M within 1.3x of 100k per handle).
 */
import { cpus, totalmem } from 'node:os';
import { Registry } from 'prom-client';
import { analyzeSnapshot, DEFAULT_ANALYSIS_OPTIONS } from '../src/analysis/analyze.js';
import { EMPTY_HISTORY } from '../src/analysis/zombie-tracker.js';
import { buildAnalysisRegistry } from '../src/metrics/analysis-metrics.js';
import { createExporterMetrics } from '../src/metrics/exporter-metrics.js';
import { parseSnapshotText, serializeSnapshot } from '../src/sources/file/snapshot-file.js';
import { LARGE_HOST, syntheticHost } from './synthetic-host.js';

const ITERATIONS = 20;
const gc = (globalThis as { gc?: () => void }).gc;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const first = syntheticHost(LARGE_HOST, '2026-11-25T12:00:00.000Z');
  const second = { ...first, collectedAt: '2026-11-25T12:10:00.000Z' };
  const exporter = createExporterMetrics('bench', () => null);
  // The first collection starts the grace period; measure steady state, where zombies are confirmed.
  let history = analyzeSnapshot(first, EMPTY_HISTORY, DEFAULT_ANALYSIS_OPTIONS).history;

  gc?.();
  const baseline = process.memoryUsage().rss;
  let peakRss = baseline;
  const times: number[] = [];
  let zombies = 0;
  let bytes = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const started = performance.now();
    const result = analyzeSnapshot(second, history, DEFAULT_ANALYSIS_OPTIONS);
    history = result.history;
    const registry = Registry.merge([exporter.registry, buildAnalysisRegistry(result.analysis, { zombieInfoLimit: 100, includeUserNames: false })]);
    const text = await registry.metrics();
    times.push(performance.now() - started);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    zombies = result.analysis.zombies?.length ?? 0;
    bytes = text.length;
  }

  const analysisPeakRss = peakRss;
  // maxRSS is the kernel's true peak (KiB) over the process lifetime so far: snapshot building included.
  const processPeakRss = process.resourceUsage().maxRSS * 1024;
  const json = serializeSnapshot(second);
  const parseStarted = performance.now();
  parseSnapshotText('bench.json', json);
  const parseMs = performance.now() - parseStarted;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const lines = [
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${mb(totalmem())} MB RAM, Node ${process.version}, ${process.platform}/${process.arch}`,
    `host: ${LARGE_HOST.tokenHandles} token handles, ${LARGE_HOST.processes} processes, ${LARGE_HOST.logonSessions} logon sessions, ${zombies} zombies confirmed`,
    `analysis + exposition: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms over ${ITERATIONS} collections (exposition ${(bytes / 1024).toFixed(0)} KiB)`,
    `snapshot file parse + validation (${mb(json.length)} MB JSON): ${parseMs.toFixed(0)} ms`,
    `peak RSS during analysis + exposition: ${mb(analysisPeakRss)} MB sampled, ${mb(processPeakRss)} MB kernel maxRSS up to then (process baseline with the snapshot in memory: ${mb(baseline)} MB)`,
    `peak RSS including the file parse: ${mb(peakRss)} MB`,
    `targets: analysis + exposition < 200 ms: ${median(times) < 200 ? 'met' : 'MISSED'}; peak RSS < 200 MB: ${processPeakRss < 200 * 1024 * 1024 ? 'met' : 'MISSED'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  scaling();
}

const SCALING_SIZES = [10_000, 100_000, 1_000_000, 2_000_000] as const;
/** Per-handle time at the largest size may be at most this multiple of that at 100,000. */
const LINEAR_TOLERANCE = 1.3;

/**
 * Analysis alone (no exposition: its size depends on images, not handles) at growing handle counts.
 * Judged on CPU time (user + system, GC threads included), least of the runs: on a shared machine wall
 * time mostly measures the other jobs.
 */
function scaling(): void {
  const perHandle = new Map<number, number>();
  for (const handles of SCALING_SIZES) {
    const size = { ...LARGE_HOST, tokenHandles: handles };
    const first = syntheticHost(size, '2026-11-25T12:00:00.000Z');
    const second = { ...first, collectedAt: '2026-11-25T12:10:00.000Z' };
    let history = analyzeSnapshot(first, EMPTY_HISTORY, DEFAULT_ANALYSIS_OPTIONS).history;
    const iterations = Math.max(5, Math.min(20, Math.round(2_000_000 / handles)));
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < iterations; i++) {
      gc?.();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      history = analyzeSnapshot(second, history, DEFAULT_ANALYSIS_OPTIONS).history;
      wall.push(performance.now() - started);
      const used = process.cpuUsage(cpuBefore);
      cpu.push((used.user + used.system) / 1000);
    }
    const least = Math.min(...cpu);
    perHandle.set(handles, (least * 1e6) / handles);
    process.stdout.write(
      `analysis of ${handles.toLocaleString('en-US')} handles: CPU least ${least.toFixed(1)} ms / median ${median(cpu).toFixed(1)} ms, wall median ${median(wall).toFixed(1)} ms over ${iterations} ` +
        `(${((least * 1e6) / handles).toFixed(0)} ns of CPU per handle)\n`,
    );
  }
  const base = perHandle.get(100_000) ?? NaN;
  const largest = perHandle.get(SCALING_SIZES[SCALING_SIZES.length - 1] ?? 0) ?? NaN;
  const ratio = largest / base;
  process.stdout.write(`CPU per handle at 2,000,000 / at 100,000: ${ratio.toFixed(2)}x (target <= ${LINEAR_TOLERANCE}x: ${ratio <= LINEAR_TOLERANCE ? 'met' : 'MISSED'})\n`);
}

await main();

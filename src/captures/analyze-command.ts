import { stat } from 'node:fs/promises';
import { analyzeSnapshot, DEFAULT_ANALYSIS_OPTIONS, type HostAnalysis } from '../analysis/analyze.js';
import { EMPTY_HISTORY } from '../analysis/zombie-tracker.js';
import { RdsLeakError, UsageError } from '../errors.js';
import type { LogonType } from '../model/logon-types.js';
import { buildAnalysisRegistry } from '../metrics/analysis-metrics.js';
import { jsonReport, renderTextReport, reportExitCode, SINGLE_CAPTURE_NOTE } from '../report/report.js';
import { recordCount } from './capture-types.js';
import { capturesToSnapshot } from './captures-to-snapshot.js';
import { readCaptureFile, type ReadCapture } from './read-capture.js';

export const ANALYZE_FORMATS = ['text', 'json', 'prom'] as const;
export type AnalyzeFormat = (typeof ANALYZE_FORMATS)[number];

export interface AnalyzeIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export interface AnalyzeSettings {
  readonly zombieLogonTypes: ReadonlySet<LogonType>;
  /** As --metrics.include-user-names: user and domain labels in the prom output. */
  readonly includeUserNames: boolean;
}

const DEFAULT_SETTINGS: AnalyzeSettings = { zombieLogonTypes: DEFAULT_ANALYSIS_OPTIONS.zombieLogonTypes, includeUserNames: false };

/** One entry of `inputs`: what each file was read as. */
export interface AnalyzeInput {
  readonly file: string;
  readonly tool: string;
  readonly records: number;
  readonly unknownLines: number;
}

function inputOf(r: ReadCapture): AnalyzeInput {
  return { file: r.file, tool: r.capture.tool, records: recordCount(r.capture), unknownLines: r.capture.unknownLines.length };
}

/** The newest file time stands for the capture time: the outputs carry none of their own. */
async function captureTime(files: readonly string[]): Promise<string> {
  const times = await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs));
  return new Date(Math.floor(Math.max(...times) / 1000) * 1000).toISOString();
}

function textInputs(reads: readonly ReadCapture[]): string[] {
  const out = ['Inputs:'];
  for (const r of reads) {
    const c = r.capture;
    const first = c.unknownLines.slice(0, 5).join(', ');
    const unknown = c.unknownLines.length === 0 ? '0 unknown lines' : `${c.unknownLines.length} unknown line${c.unknownLines.length > 1 ? 's' : ''} (line ${first}${c.unknownLines.length > 5 ? ', ...' : ''})`;
    const records = recordCount(c);
    out.push(`  ${r.file}: ${c.tool}, ${records} record${records === 1 ? '' : 's'}, ${unknown}, ${r.encoding}`);
    for (const w of c.warnings.slice(0, 5)) out.push(`    ${w}`);
  }
  return out;
}

/** Comment lines are valid in the exposition format; one line each, whatever a file name holds. */
function comment(text: string): string {
  return `# ${text.replace(/[\r\n]+/g, ' ')}`;
}

async function renderProm(analysis: HostAnalysis, inputs: readonly AnalyzeInput[], notes: readonly string[], settings: AnalyzeSettings): Promise<string> {
  const head = [comment('rds-leak-exporter analyze: one capture, analysed with a grace period of 0.'), comment(`Orphaned logon sessions, not yet confirmed: ${SINGLE_CAPTURE_NOTE}`)];
  for (const i of inputs) head.push(comment(`input ${i.file}: ${i.tool}, ${i.records} records, ${i.unknownLines} unknown lines`));
  for (const n of notes) head.push(comment(n));
  for (const z of analysis.zombies ?? []) {
    const holders = z.holders.map((h) => `${h.image} pid ${h.pid} (${h.handles})`).join(', ');
    head.push(comment(`orphaned ${z.logon.logonId} session ${z.logon.sessionId}: ${holders || 'no holder in the captures'}`));
  }
  const registry = buildAnalysisRegistry(analysis, { zombieInfoLimit: Number.MAX_SAFE_INTEGER, includeUserNames: settings.includeUserNames });
  return `${head.join('\n')}\n${await registry.metrics()}`;
}

/**
 * `analyze FILE...`: Sysinternals and Windows tool output -> the agent's report for a host without an
 * agent. Exit codes as `report`: 0 nothing orphaned, 1 orphaned logon sessions (not yet confirmed),
 * 2 bad input or zombies not decidable from the captures.
 */
export async function runAnalyze(files: readonly string[], format: AnalyzeFormat, io: AnalyzeIo, settings: AnalyzeSettings = DEFAULT_SETTINGS): Promise<number> {
  try {
    if (files.length === 0) throw new UsageError('E_USAGE', 'analyze needs at least one file (logonsessions, handle, qwinsta/quser or klist output)');
    const reads: ReadCapture[] = [];
    for (const file of files) reads.push(await readCaptureFile(file));
    const { snapshot, notes } = capturesToSnapshot(
      reads.map((r) => r.capture),
      await captureTime(files),
    );
    const { analysis } = analyzeSnapshot(snapshot, EMPTY_HISTORY, { gracePeriodMs: 0, zombieLogonTypes: settings.zombieLogonTypes });
    const inputs = reads.map(inputOf);
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify({ ...jsonReport(analysis, 'single_capture'), inputs, notes }, null, 2)}\n`);
    } else if (format === 'prom') {
      io.stdout.write(await renderProm(analysis, inputs, notes, settings));
    } else {
      const tail = notes.length > 0 ? ['', 'Notes:', ...notes.map((n) => `  - ${n}`)] : [];
      io.stdout.write(`${textInputs(reads).join('\n')}\n\n${renderTextReport(analysis, 'single_capture')}${tail.map((l) => `${l}\n`).join('')}`);
    }
    return reportExitCode(analysis);
  } catch (error) {
    if (!(error instanceof RdsLeakError)) throw error;
    io.stderr.write(`rds-leak-exporter: ${error.message}\n`);
    return error.exitCode;
  }
}

import type { HandleCapture, HandleRecord } from './capture-types.js';
import { isBannerLine, isPromptLine } from './banner.js';
import { captureLines } from './text-decoding.js';

/** Search output: `lsass.exe  pid: 960  type: Token  [user]  804: HK\test01:17c025` (`-u` adds the user). */
const SEARCH_LINE = /^(\S.*?)\s+pid:\s*(\d+)\s+type:\s*(\S+(?: Port)?)\s+(?:(\S.*?)\s+)??([0-9A-Fa-f]+):\s?(.*)$/;
/** Dump: `----------` between processes. */
const SEPARATOR = /^-{8,}$/;
/** Dump: `lsass.exe pid: 960 NT AUTHORITY\SYSTEM` (or `\<unable to open process>`). */
const PROCESS_HEADER = /^(\S.*?)\s+pid:\s*(\d+)(?:\s+(.*))?$/;
/** Dump: `  804: Token         HK\test01:17c025`, files with share flags `(RW-)`. */
const DUMP_LINE = /^\s*([0-9A-Fa-f]+):\s+(ALPC Port|\S+)(?:\s+\([-RWD]{3}\))?(?:\s+(.*))?$/;
/** `-s`: `  Token           : 1203` after `Handle type summary:`. */
const SUMMARY_HEADER = /^Handle type summary:$/i;
const SUMMARY_LINE = /^\s+(\S.*?)\s*:\s*(\d+)$/;
const SUMMARY_TOTAL = /^Total handles:\s*\d+$/i;
const NO_MATCH = /^No matching handles found\.?$/i;
/** `-v`: CSV with a header naming the columns. */
const CSV_HEADER = /^"?Process"?\s*,\s*"?PID"?\s*,/i;

function unquote(cell: string): string {
  const t = cell.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t;
}

function hex(text: string): number | null {
  const m = /^(?:0x)?([0-9a-f]{1,16})$/i.exec(text.trim());
  if (!m) return null;
  const value = Number.parseInt(m[1] ?? '', 16);
  return Number.isSafeInteger(value) ? value : null;
}

function pid(text: string): number | null {
  return /^\d{1,10}$/.test(text.trim()) ? Number(text.trim()) : null;
}

/** `-v`: columns by name; the name is the last column and may itself contain commas. */
function csvColumns(header: string): Map<string, number> {
  return new Map(header.split(',').map((cell, i) => [unquote(cell).toLowerCase(), i]));
}

function csvRecord(line: string, columns: Map<string, number>): HandleRecord | null {
  const cells = line.split(',');
  const nameAt = columns.get('name');
  const at = (column: string) => {
    const i = columns.get(column);
    return i === undefined ? undefined : cells[i];
  };
  const [image, p, type, h] = [at('process'), at('pid'), at('type'), at('handle')];
  if (image === undefined || p === undefined || type === undefined || h === undefined || nameAt === undefined) return null;
  const pidValue = pid(unquote(p));
  const handle = hex(unquote(h));
  if (pidValue === null || handle === null || unquote(image) === '') return null;
  return { image: unquote(image), pid: pidValue, type: unquote(type), handle, name: unquote(cells.slice(nameAt).join(',')) };
}

/**
 * handle.exe (3.x to 5.x): search output (`handle -a 17c025`), the whole-system dump (`handle -a`),
 * the `-s` summary and `-v` CSV. Never throws; unreadable lines are counted.
 */
export function parseHandle(text: string): HandleCapture {
  const lines = captureLines(text);
  const unknownLines: number[] = [];
  const handles: HandleRecord[] = [];
  const processes = new Map<number, string>();
  const summary = new Map<string, number>();
  let holder: { image: string; pid: number } | null = null;
  let inSummary = false;
  let csv: Map<string, number> | null = null;
  const forms = { search: 0, dump: 0, summary: 0, csv: 0 };

  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || isBannerLine(line) || isPromptLine(line) || NO_MATCH.test(trimmed)) return;
    if (CSV_HEADER.test(trimmed)) {
      csv = csvColumns(trimmed);
      return;
    }
    if (csv) {
      const record = csvRecord(trimmed, csv);
      if (record) {
        handles.push(record);
        processes.set(record.pid, record.image);
        forms.csv += 1;
        return;
      }
    }
    if (SUMMARY_HEADER.test(trimmed)) {
      inSummary = true;
      return;
    }
    if (inSummary) {
      const s = SUMMARY_LINE.exec(line);
      if (s) {
        const type = s[1] ?? '';
        summary.set(type, (summary.get(type) ?? 0) + Number(s[2]));
        forms.summary += 1;
        return;
      }
      if (SUMMARY_TOTAL.test(trimmed)) return;
      inSummary = false;
    }
    if (SEPARATOR.test(trimmed)) {
      holder = null;
      return;
    }
    // Cheap tests first: a whole-system dump has hundreds of thousands of lines.
    const hasPid = line.includes('pid:');
    const search = hasPid && line.includes('type:') ? SEARCH_LINE.exec(line) : null;
    if (search) {
      const record = { image: (search[1] ?? '').trim(), pid: Number(search[2]), type: search[3] ?? '', handle: hex(search[5] ?? '') ?? 0, name: search[6] ?? '' };
      if (Number.isSafeInteger(record.pid)) {
        handles.push(record);
        processes.set(record.pid, record.image);
        forms.search += 1;
        return;
      }
    }
    const header = hasPid && /^\S/.test(line) ? PROCESS_HEADER.exec(line) : null;
    if (header && !/\btype:/.test(line)) {
      const p = pid(header[2] ?? '');
      if (p !== null) {
        holder = { image: (header[1] ?? '').trim(), pid: p };
        processes.set(p, holder.image);
        return;
      }
    }
    const dump = holder ? DUMP_LINE.exec(line) : null;
    const current: { image: string; pid: number } | null = holder;
    if (dump && current) {
      const handle = hex(dump[1] ?? '');
      if (handle !== null) {
        handles.push({ image: current.image, pid: current.pid, type: dump[2] ?? '', handle, name: (dump[3] ?? '').trim() });
        forms.dump += 1;
        return;
      }
    }
    unknownLines.push(index + 1);
  });

  const form = (Object.entries(forms) as [HandleCapture['form'], number][]).reduce((best, f) => (f[1] > best[1] ? f : best), ['search', 0] as [HandleCapture['form'], number])[0];
  return { tool: 'handle', form, handles, processes, summary, unknownLines, warnings: [] };
}

/** The logon id in a token handle's name: `HK\test01:17c025` (the LUID's low part; the high part is 0 on every Windows so far). */
export function logonIdOfTokenName(name: string): string | null {
  const m = /:(?:0x)?([0-9a-f]{1,8})$/i.exec(name.trim());
  return m ? `00000000:${(m[1] ?? '').toLowerCase().padStart(8, '0')}` : null;
}

/**
 * Logon times as the host's locale prints them: `06.04.2017 01:16:36` (German), `4/6/2017 1:16:36 AM`
 * (en-US), `06/04/2017 01:16:36` (French, Spanish, en-GB), `2017-04-06 01:16:36` (ISO, Swedish).
 * Day and month order is decided once per file from all its dates; times carry no zone, so they are
 * read as UTC (docs/analyze.md says so).
 */
interface DateParts {
  readonly a: number;
  readonly b: number;
  readonly year: number;
  readonly yearFirst: boolean;
  readonly separator: string;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly meridiem: 'am' | 'pm' | null;
}

const DATE_RE = /^(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})[,\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?\.?\s?(?:m\.?)?$/i;

function split(text: string): DateParts | null {
  const m = DATE_RE.exec(text.trim());
  if (!m) return null;
  const [first, separator, middle, last] = [m[1] ?? '', m[2] ?? '', m[3] ?? '', m[4] ?? ''];
  const yearFirst = first.length === 4;
  if (!yearFirst && last.length !== 4 && last.length !== 2) return null;
  const meridiem = m[8] ? (m[8].toLowerCase() === 'a' ? 'am' : 'pm') : null;
  return {
    a: Number(yearFirst ? middle : first),
    b: Number(yearFirst ? last : middle),
    year: Number(yearFirst ? first : last.length === 2 ? `20${last}` : last),
    yearFirst,
    separator,
    hour: Number(m[5]),
    minute: Number(m[6]),
    second: Number(m[7] ?? 0),
    meridiem,
  };
}

/** True when the file's dates put the day first. */
export function dayFirstOrder(texts: readonly string[]): boolean {
  const parts = texts.map(split).filter((p): p is DateParts => p !== null && !p.yearFirst);
  if (parts.some((p) => p.a > 12)) return true;
  if (parts.some((p) => p.b > 12)) return false;
  if (parts.some((p) => p.separator === '.' || p.separator === '-')) return true;
  // Slashes: en-US writes 12-hour times with AM/PM; day-first locales (fr, es, en-GB) write 24-hour times.
  return !parts.some((p) => p.meridiem !== null);
}

/** ISO 8601 (UTC) or null when the text is no date this build reads. */
export function parseLocalisedDate(text: string, dayFirst: boolean): string | null {
  const p = split(text);
  if (!p) return null;
  const [month, day] = p.yearFirst || !dayFirst ? [p.a, p.b] : [p.b, p.a];
  let hour = p.hour;
  if (p.meridiem === 'pm' && hour < 12) hour += 12;
  if (p.meridiem === 'am' && hour === 12) hour = 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || p.minute > 59 || p.second > 59 || p.year < 1601) return null;
  const ms = Date.UTC(p.year, month - 1, day, hour, p.minute, p.second);
  const date = new Date(ms);
  if (date.getUTCDate() !== day) return null;
  return date.toISOString();
}

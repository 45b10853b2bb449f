import { formatDuration, parseDuration } from './duration.js';

/**
 * One flag, declared once next to the code it configures (node_exporter's `kingpin.Flag(...)` is the
 * model): its name, help, real default, range and parser. The command line, the `--config.file` keys,
 * `--help` and the flags table in the README all come from these declarations.
 */
export interface Flag<T> {
  readonly name: string;
  readonly help: string;
  /** `switch` takes no value (`--x`, `--no-x`, `--x=false`); `repeatable` collects every occurrence. */
  readonly arity: 'switch' | 'value' | 'repeatable';
  /** How the value is shown in --help, e.g. `<duration>` or `<text|json>`. */
  readonly placeholder: string;
  readonly default: T;
  /** The default as users read it (README, --help); empty when there is none. */
  readonly defaultText: string;
  /** Commands the flag matters to (shown in --help); empty means every command. */
  readonly commands: readonly string[];
  /** May be set in the `--config.file` YAML (false for --config.file, --help, --version). */
  readonly configurable: boolean;
  /** Converts the text of one occurrence (every occurrence for `repeatable`); throws {@link FlagValueError}. */
  parse(texts: readonly string[]): T;
}

/** A value the flag cannot take; the caller adds where it came from (`--flag` or `file:line: key`). */
export class FlagValueError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'FlagValueError';
  }
}

interface Common<T> {
  readonly name: string;
  readonly help: string;
  readonly default: T;
  readonly defaultText?: string;
  readonly commands?: readonly string[];
  readonly configurable?: boolean;
}

/** Longest text accepted for a number or a duration: real values are short, 400 digits are a mistake. */
const MAX_NUMERIC_TEXT = 32;

function single(texts: readonly string[]): string {
  return texts[0] ?? '';
}

function flag<T>(common: Common<T>, arity: Flag<T>['arity'], placeholder: string, defaultText: string, parse: (texts: readonly string[]) => T): Flag<T> {
  return {
    name: common.name,
    help: common.help,
    arity,
    placeholder,
    default: common.default,
    defaultText: common.defaultText ?? defaultText,
    commands: common.commands ?? [],
    configurable: common.configurable ?? true,
    parse,
  };
}

export function switchFlag(spec: Common<boolean>): Flag<boolean> {
  return flag(spec, 'switch', '', String(spec.default), (texts) => {
    const text = single(texts).toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw new FlagValueError(`expected true or false, got "${single(texts)}"`);
  });
}

/** Free text, checked by `check` (returns the problem, or null when the value is fine). */
export function textFlag(spec: Common<string> & { readonly placeholder?: string; readonly check?: (value: string) => string | null }): Flag<string> {
  return flag(spec, 'value', spec.placeholder ?? '<string>', spec.default, (texts) => {
    const value = single(texts);
    const problem = spec.check?.(value) ?? null;
    if (problem !== null) throw new FlagValueError(problem);
    return value;
  });
}

/** An optional file name: null when not given. */
export function fileFlag(spec: Omit<Common<null>, 'default'>): Flag<string | null> {
  return flag({ ...spec, default: null }, 'value', '<file>', '', (texts) => {
    const value = single(texts);
    if (value.trim() === '') throw new FlagValueError('expected a file name');
    return value;
  });
}

export function enumFlag<const C extends readonly string[]>(spec: Common<C[number]> & { readonly choices: C }): Flag<C[number]> {
  return flag(spec, 'value', `<${spec.choices.join('|')}>`, spec.default, (texts) => {
    const value = single(texts);
    if (!spec.choices.includes(value)) throw new FlagValueError(`unknown value "${value}" (expected ${spec.choices.join(', ')})`);
    return value;
  });
}

/** Comma-separated values from a fixed set (a YAML list in the config file). */
export function listFlag<const C extends readonly string[]>(spec: Common<readonly C[number][]> & { readonly choices: C }): Flag<readonly C[number][]> {
  return flag(spec, 'value', '<list>', spec.default.join(','), (texts) => {
    const items = single(texts)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0) throw new FlagValueError('expected at least one value');
    for (const item of items) if (!spec.choices.includes(item)) throw new FlagValueError(`unknown value "${item}" (expected some of ${spec.choices.join(', ')})`);
    return items;
  });
}

/** Every occurrence, in order (a YAML list in the config file). */
export function repeatableFlag(spec: Omit<Common<readonly string[]>, 'default'> & { readonly placeholder: string }): Flag<readonly string[]> {
  return flag({ ...spec, default: [] }, 'repeatable', spec.placeholder, '', (texts) => {
    if (texts.some((t) => t.trim() === '')) throw new FlagValueError('expected a non-empty value');
    return [...texts];
  });
}

interface Range {
  readonly min: number;
  readonly max: number;
  /** What the value means, for the message: "expected <expectation> between min and max". */
  readonly expectation?: string;
}

/** Decimal integers only: `0x10` and `1e3` are mistakes, not 16 and 1000. */
export function integerFlag(spec: Common<number> & Range): Flag<number> {
  const expected = `expected ${spec.expectation ?? 'an integer'} between ${spec.min} and ${spec.max}`;
  return flag(spec, 'value', '<int>', String(spec.default), (texts) => {
    const text = single(texts).trim();
    if (text.length > MAX_NUMERIC_TEXT || !/^[+-]?\d+$/.test(text)) throw new FlagValueError(`${expected}, got "${single(texts)}"`);
    const n = Number(text);
    if (n < spec.min || n > spec.max) throw new FlagValueError(`${expected}, got "${text}"`);
    return n;
  });
}

/** Decimal numbers (`0.5`, `60`); no hex, exponents, Infinity or NaN. `exclusiveMin`: the minimum itself is refused. */
export function numberFlag(spec: Common<number> & Range & { readonly exclusiveMin?: boolean }): Flag<number> {
  const expected = `expected ${spec.expectation ?? 'a number'} between ${spec.min} and ${spec.max}`;
  return flag(spec, 'value', '<number>', String(spec.default), (texts) => {
    const text = single(texts).trim();
    if (text.length > MAX_NUMERIC_TEXT || !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new FlagValueError(`${expected}, got "${single(texts)}"`);
    const n = Number(text);
    if (n < spec.min || n > spec.max || (spec.exclusiveMin === true && n === spec.min)) throw new FlagValueError(`${expected}, got "${text}"`);
    return n;
  });
}

/** A Prometheus-style duration (`500ms`, `30s`, `5m`, `1h30m`) in milliseconds, within [minMs, maxMs]. */
export function durationFlag(spec: Common<number> & { readonly minMs: number; readonly maxMs: number; readonly placeholder?: string }): Flag<number> {
  const bounds =
    spec.minMs > 1
      ? `expected a duration of at least ${formatDuration(spec.minMs)} and at most ${formatDuration(spec.maxMs)}`
      : spec.minMs > 0
        ? `expected a duration longer than 0s and at most ${formatDuration(spec.maxMs)}`
        : `expected a duration of at most ${formatDuration(spec.maxMs)}`;
  return flag(spec, 'value', spec.placeholder ?? '<duration>', formatDuration(spec.default), (texts) => {
    const text = single(texts);
    const ms = text.length > MAX_NUMERIC_TEXT ? null : parseDuration(text);
    if (ms === null) throw new FlagValueError(`expected a duration like 30s, 5m or 1h, got "${text.length > MAX_NUMERIC_TEXT ? `${text.slice(0, MAX_NUMERIC_TEXT)}...` : text}"`);
    if (ms < spec.minMs || ms > spec.maxMs) throw new FlagValueError(bounds);
    return ms;
  });
}

/** Any flag, for lists of declarations. */
export type AnyFlag = Flag<unknown>;

/** The same flag without a default of its own: null when not given (the default lives elsewhere, e.g. in a profile). */
export function optional<T>(base: Flag<T>, defaultText: string): Flag<T | null> {
  return { ...base, default: null, defaultText };
}

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Pair } from 'yaml';
import { UsageError, errorMessage } from '../errors.js';
import { DEFAULT_ZOMBIE_LOGON_TYPES, type LogonType } from '../model/logon-types.js';
import type { SimulationProfile } from '../sources/simulate/profiles.js';
import type { SourceKind } from '../sources/source.js';
import { parseDuration } from './duration.js';
import { COMMANDS, FLAGS, FLAGS_BY_NAME, type Command, type FlagDefinition } from './flag-definitions.js';

export interface ListenAddress {
  /** Empty for every interface. */
  readonly host: string;
  readonly port: number;
}

export interface Options {
  readonly command: Command;
  readonly help: boolean;
  readonly version: boolean;
  /** Null: no HTTP listener (--web.listen-address= with --textfile.directory). */
  readonly listenAddress: ListenAddress | null;
  readonly telemetryPath: string;
  /** exporter-toolkit web configuration file, or null for plain HTTP. */
  readonly webConfigFile: string | null;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly logFormat: 'logfmt' | 'json';
  readonly source: SourceKind;
  readonly filePaths: readonly string[];
  readonly fileLoop: boolean;
  readonly simulate: {
    readonly profile: SimulationProfile;
    readonly speed: number;
    readonly seed: number;
    readonly hostName: string;
    readonly users: number | null;
    readonly leakShare: number | null;
    readonly advanceMs: number;
    readonly citrix: boolean;
  };
  readonly gracePeriodMs: number;
  readonly zombieLogonTypes: readonly LogonType[];
  readonly zombieInfoLimit: number;
  readonly includeUserNames: boolean;
  readonly minIntervalMs: number;
  readonly collectionTimeoutMs: number;
  readonly timeoutMarginMs: number;
  /** Textfile mode: rewrite rds_leak.prom in this directory every textfileIntervalMs; null when off. */
  readonly textfileDirectory: string | null;
  readonly textfileIntervalMs: number;
  readonly windowsConcurrency: number;
  readonly reportFormat: 'text' | 'json';
}

type RawValue = string | boolean | string[];

/** Longest collection budget accepted (timers overflow past 24.8 days; an hour is already absurd). */
export const MAX_COLLECTION_TIMEOUT_MS = 3_600_000;
/** Where a value came from, for messages: `--simulate.speed` or `config.yaml:3`. */
interface Raw {
  readonly value: RawValue;
  readonly origin: string;
}

function usage(message: string): UsageError {
  return new UsageError('E_USAGE', message);
}

const BOOLEAN_FLAGS = new Set(FLAGS.filter((f) => f.kind === 'boolean').map((f) => f.name));

/** `--flag=false` and `--no-flag` turn a boolean off (so the command line can override a config file). */
function normaliseBooleans(argv: readonly string[]): { args: string[]; negated: Set<string> } {
  const negated = new Set<string>();
  const args: string[] = [];
  for (const arg of argv) {
    const m = /^--(no-)?([^=]+)(?:=(.*))?$/.exec(arg);
    const name = m?.[2];
    if (m && name && BOOLEAN_FLAGS.has(name) && (m[1] !== undefined || m[3] !== undefined)) {
      const value = m[3] === undefined ? 'true' : m[3].toLowerCase();
      if (value !== 'true' && value !== 'false') throw usage(`--${name}: expected true or false, got "${m[3]}"`);
      const on = (value === 'true') !== (m[1] !== undefined);
      if (on) args.push(`--${name}`);
      else negated.add(name);
      continue;
    }
    args.push(arg);
  }
  return { args, negated };
}

function readCommandLine(argv: readonly string[]): { command: Command; raw: Map<string, Raw> } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const f of FLAGS) options[f.name] = f.kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: f.kind === 'paths' };
  const { args, negated } = normaliseBooleans(argv);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const flag = /'(-{1,2}[^' ]+)/.exec(errorMessage(error))?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw usage(`unknown flag ${flag ?? ''} (see --help)`.replace('  ', ' '));
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = flag?.replace(/^-+/, '').split(/[ =]/)[0] ?? '';
      const def = FLAGS_BY_NAME.get(name);
      throw usage(def?.kind === 'boolean' ? `--${name} takes no value` : `--${name} needs a value`);
    }
    throw usage(errorMessage(error));
  }
  const [command = 'serve', ...extra] = parsed.positionals;
  if (!(COMMANDS as readonly string[]).includes(command)) throw usage(`unknown command "${command}" (expected ${COMMANDS.join(', ')})`);
  if (extra.length > 0) throw usage(`unexpected argument "${extra[0]}"`);
  const raw = new Map<string, Raw>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value !== undefined) raw.set(name, { value: value as RawValue, origin: `--${name}` });
  }
  for (const name of negated) raw.set(name, { value: false, origin: `--${name}` });
  return { command: command as Command, raw };
}

function readConfigFile(path: string): Map<string, Raw> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError('E_CONFIG', `${path}: cannot read config file: ${code === 'ENOENT' ? 'no such file' : errorMessage(error)}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 0 : lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new UsageError('E_CONFIG', `${path}:${lineOf(e.pos[0])}: not valid YAML (${e.message.split('\n')[0]})`);
  }
  const raw = new Map<string, Raw>();
  if (doc.contents === null) return raw;
  if (!isMap(doc.contents)) throw new UsageError('E_CONFIG', `${path}:1: expected a mapping of flag names to values`);
  for (const pair of doc.contents.items as Pair[]) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const origin = `${path}:${lineOf(isScalar(keyNode) ? keyNode.range?.[0] : undefined)}`;
    const def = FLAGS_BY_NAME.get(key);
    if (!def || key === 'config.file' || key === 'help' || key === 'version') {
      throw new UsageError('E_CONFIG', `${origin}: unknown key "${key}" (keys are flag names without the leading --, see --help)`);
    }
    const node = pair.value;
    let value: RawValue;
    if (isSeq(node)) {
      if (def.kind !== 'paths' && def.kind !== 'list') throw new UsageError('E_CONFIG', `${origin}: ${key}: expected a single value, got a list`);
      value = node.items.map((item) => String(isScalar(item) ? item.value : item));
      if (value.length === 0) throw new UsageError('E_CONFIG', `${origin}: ${key}: expected at least one value`);
      if (def.kind === 'list') value = (value as string[]).join(',');
    } else if (isScalar(node)) {
      const v = node.value;
      if (v === null) throw new UsageError('E_CONFIG', `${origin}: ${key}: expected a value`);
      if (def.kind === 'boolean') {
        if (typeof v !== 'boolean') throw new UsageError('E_CONFIG', `${origin}: ${key}: expected true or false, got ${JSON.stringify(v)}`);
        value = v;
      } else {
        value = def.kind === 'paths' ? [String(v)] : String(v);
      }
    } else {
      throw new UsageError('E_CONFIG', `${origin}: ${key}: expected a value`);
    }
    raw.set(key, { value, origin });
  }
  return raw;
}

/** Converts one raw value by its flag kind; messages name the flag or the config line. */
class Converter {
  constructor(private readonly raw: Map<string, Raw>) {}

  private get(name: string): Raw | undefined {
    return this.raw.get(name);
  }

  private fail(name: string, problem: string): never {
    const origin = this.get(name)?.origin ?? `--${name}`;
    const where = origin.startsWith('--') ? origin : `${origin}: ${name}`;
    throw origin.startsWith('--') ? usage(`${where}: ${problem}`) : new UsageError('E_CONFIG', `${where}: ${problem}`);
  }

  string(name: string, fallback: string): string {
    const r = this.get(name);
    return r === undefined ? fallback : String(r.value);
  }

  boolean(name: string, fallback: boolean): boolean {
    const r = this.get(name);
    return r === undefined ? fallback : r.value === true;
  }

  enumOf<T extends string>(name: string, fallback: T): T {
    const def = FLAGS_BY_NAME.get(name) as FlagDefinition;
    const value = this.string(name, fallback);
    if (!def.choices?.includes(value)) this.fail(name, `unknown value "${value}" (expected ${def.choices?.join(', ')})`);
    return value as T;
  }

  number(name: string, fallback: number, check: (n: number) => boolean, expectation: string, integer = false): number {
    const r = this.get(name);
    if (r === undefined) return fallback;
    const text = String(r.value).trim();
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || !check(n)) this.fail(name, `expected ${expectation}, got "${text}"`);
    return n;
  }

  duration(name: string, fallbackMs: number): number {
    const r = this.get(name);
    if (r === undefined) return fallbackMs;
    const ms = parseDuration(String(r.value));
    if (ms === null) this.fail(name, `expected a duration like 30s, 5m or 1h, got "${String(r.value)}"`);
    return ms;
  }

  list<T extends string>(name: string, fallback: readonly T[]): T[] {
    const r = this.get(name);
    if (r === undefined) return [...fallback];
    const def = FLAGS_BY_NAME.get(name) as FlagDefinition;
    const items = String(r.value).split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) this.fail(name, 'expected at least one value');
    for (const item of items) if (!def.choices?.includes(item)) this.fail(name, `unknown value "${item}" (expected some of ${def.choices?.join(', ')})`);
    return items as T[];
  }

  /** A duration in (0, maxMs]. */
  positiveDuration(name: string, fallbackMs: number, maxMs: number): number {
    const ms = this.duration(name, fallbackMs);
    if (ms <= 0 || ms > maxMs) this.fail(name, `expected a duration longer than 0s and at most ${maxMs / 60_000}m`);
    return ms;
  }

  /** The metrics path: a plain absolute path that does not hide another endpoint. */
  telemetryPath(name: string): string {
    const path = this.string(name, '/metrics');
    if (!/^\/[A-Za-z0-9._~\/-]+$/.test(path)) this.fail(name, `expected a path such as /metrics, got "${path}"`);
    if (['/health', '/version'].includes(path)) this.fail(name, `${path} is the exporter's own endpoint; choose another path`);
    return path;
  }

  paths(name: string): string[] {
    const r = this.get(name);
    return r === undefined ? [] : (r.value as string[]);
  }

  listenAddress(name: string, fallback: string): ListenAddress {
    const text = this.string(name, fallback);
    const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535) this.fail(name, `expected [host]:port such as :10189 or 127.0.0.1:10189, got "${text}"`);
    return { host: m[1] ?? m[2] ?? '', port };
  }
}

/** Command line (and config file) -> validated options. Throws UsageError (exit 2) with one clear line. */
export function parseOptions(argv: readonly string[], platform: NodeJS.Platform = process.platform): Options {
  const { command, raw: cli } = readCommandLine(argv);
  const configPath = cli.get('config.file')?.value;
  const raw = typeof configPath === 'string' ? new Map([...readConfigFile(configPath), ...cli]) : cli;
  const c = new Converter(raw);
  const collectionTimeoutMs = c.positiveDuration('collection.timeout', 30_000, MAX_COLLECTION_TIMEOUT_MS);

  const telemetryPath = c.telemetryPath('web.telemetry-path');

  const source = c.enumOf<SourceKind>('source', platform === 'win32' ? 'windows' : 'simulate');
  const filePaths = c.paths('file.path');
  if (raw.has('web.config.file') && c.string('web.config.file', '') === '') throw usage('--web.config.file: expected a file name');
  if (source === 'file' && filePaths.length === 0) throw usage('--source file needs --file.path (a snapshot file or a directory of them)');
  if (raw.has('textfile.directory') && c.string('textfile.directory', '') === '') throw usage('--textfile.directory: expected a directory');
  const textfileDirectory = raw.has('textfile.directory') ? c.string('textfile.directory', '') : null;
  const httpOff = c.string('web.listen-address', ':10189') === '';
  if (httpOff && textfileDirectory === null) throw usage('--web.listen-address: empty turns the HTTP listener off, which needs --textfile.directory');

  return {
    command,
    help: c.boolean('help', false),
    version: c.boolean('version', false),
    listenAddress: httpOff ? null : c.listenAddress('web.listen-address', ':10189'),
    telemetryPath,
    webConfigFile: raw.has('web.config.file') ? c.string('web.config.file', '') : null,
    logLevel: c.enumOf('log.level', 'info'),
    logFormat: c.enumOf('log.format', 'logfmt'),
    source,
    filePaths,
    fileLoop: c.boolean('file.loop', false),
    simulate: {
      profile: c.enumOf<SimulationProfile>('simulate.profile', 'leaky'),
      speed: c.number('simulate.speed', 60, (n) => n > 0 && n <= 100_000, 'a number of simulated seconds per real second between 0 and 100000'),
      seed: c.number('simulate.seed', 5, (n) => n >= 0 && n <= 0xffffffff, 'an integer between 0 and 4294967295', true),
      hostName: c.string('simulate.host-name', 'rds-sim-01'),
      users: raw.has('simulate.users') ? c.number('simulate.users', 20, (n) => n >= 0 && n <= 5000, 'an integer between 0 and 5000', true) : null,
      advanceMs: c.duration('simulate.advance', 0),
      citrix: c.boolean('simulate.citrix', true),
      leakShare: raw.has('simulate.leak-share') ? c.number('simulate.leak-share', 0, (n) => n >= 0 && n <= 1, 'a probability between 0 and 1') : null,
    },
    gracePeriodMs: c.duration('zombie.grace-period', 5 * 60_000),
    zombieLogonTypes: c.list<LogonType>('zombie.logon-types', DEFAULT_ZOMBIE_LOGON_TYPES),
    zombieInfoLimit: c.number('metrics.zombie-info-limit', 100, (n) => n >= 0 && n <= 100_000, 'an integer between 0 and 100000', true),
    includeUserNames: c.boolean('metrics.include-user-names', false),
    minIntervalMs: c.duration('collection.min-interval', 0),
    collectionTimeoutMs,
    timeoutMarginMs: c.duration('scrape.timeout-margin', 500),
    textfileDirectory,
    textfileIntervalMs: c.positiveDuration('textfile.interval', 30_000, MAX_COLLECTION_TIMEOUT_MS),
    windowsConcurrency: c.number('windows.concurrency', 4, (n) => n >= 1 && n <= 64, 'an integer between 1 and 64', true),
    reportFormat: c.enumOf('report.format', 'text'),
  };
}

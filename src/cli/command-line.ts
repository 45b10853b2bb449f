import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Pair } from 'yaml';
import { UsageError, errorMessage } from '../errors.js';
import { FlagValueError, type AnyFlag } from '../flags/flag.js';
import { FlagValues, type FlagOrigin } from '../flags/flag-values.js';
import { ALL_FLAGS, COMMANDS, CONFIG_FILE, type Command } from './flags.js';

/** What the user asked for: a command, its positional arguments, and every flag's value. */
export interface Invocation {
  readonly command: Command;
  readonly positionals: readonly string[];
  readonly flags: FlagValues;
}

interface RawValue {
  readonly texts: readonly string[];
  readonly origin: FlagOrigin;
}

const BY_NAME: ReadonlyMap<string, AnyFlag> = new Map(ALL_FLAGS.map((f) => [f.name, f]));

function usage(message: string): UsageError {
  return new UsageError('E_USAGE', message);
}

function configError(message: string): UsageError {
  return new UsageError('E_CONFIG', message);
}

/**
 * Switches become `--name=true|false` so `--flag=false` and `--no-flag` can override a config file, and
 * every flag is read as repeatable so a repeated single-value flag is an error rather than the last one
 * silently winning (as in Prometheus' own tools).
 */
function readCommandLine(argv: readonly string[]): { command: Command; positionals: string[]; raw: Map<string, RawValue> } {
  const switches = new Map<string, string[]>();
  const args: string[] = [];
  for (const arg of argv) {
    const m = /^--(no-)?([^=]+)(?:=(.*))?$/.exec(arg);
    const name = m?.[2];
    const def = name === undefined ? undefined : BY_NAME.get(name);
    if (m && name && def?.arity === 'switch') {
      const negated = m[1] !== undefined;
      if (negated && m[3] !== undefined) throw usage(`--no-${name} takes no value`);
      const value = m[3] === undefined ? 'true' : m[3];
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw usage(`--${name}: expected true or false, got "${value}"`);
      switches.set(name, [...(switches.get(name) ?? []), String((lower === 'true') !== negated)]);
      continue;
    }
    args.push(arg);
  }
  const options: Record<string, { type: 'string'; multiple: true }> = {};
  for (const f of ALL_FLAGS) if (f.arity !== 'switch') options[f.name] = { type: 'string', multiple: true };
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const flag = /'(-{1,2}[^' ]+)/.exec(errorMessage(error))?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw usage(`unknown flag ${flag ?? ''} (see --help)`.replace('  ', ' '));
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = flag?.replace(/^-+/, '').split(/[ =]/)[0] ?? '';
      throw usage(`--${name} needs a value`);
    }
    throw usage(errorMessage(error));
  }
  const [command = 'serve', ...positionals] = parsed.positionals;
  if (!(COMMANDS as readonly string[]).includes(command)) throw usage(`unknown command "${command}" (expected ${COMMANDS.join(', ')})`);
  const raw = new Map<string, RawValue>();
  const record = (name: string, texts: readonly string[]) => {
    const def = BY_NAME.get(name);
    if (def && def.arity !== 'repeatable' && texts.length > 1) throw usage(`--${name} given ${texts.length} times; give it once`);
    raw.set(name, { texts, origin: { text: `--${name}`, fromFile: false } });
  };
  for (const [name, value] of Object.entries(parsed.values)) if (value !== undefined) record(name, value);
  for (const [name, texts] of switches) record(name, texts);
  return { command: command as Command, positionals, raw };
}

/** The text of a plain YAML scalar (string, number, boolean); null for anything else (null, alias, map). */
function plainScalarText(node: unknown): string | null {
  if (!isScalar(node)) return null;
  const v = node.value;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : null;
}

/** The `--config.file` YAML: a mapping of flag names (without `--`) to values; lists for repeatable flags. */
function readConfigFile(path: string): Map<string, RawValue> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw configError(`${path}: cannot read config file: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : errorMessage(error)}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  const firstError = doc.errors[0];
  if (firstError) throw configError(`${path}:${lineOf(firstError.pos[0])}: not valid YAML (${firstError.message.split('\n')[0] ?? ''})`);
  const raw = new Map<string, RawValue>();
  if (doc.contents === null) return raw;
  if (!isMap(doc.contents)) throw configError(`${path}:1: expected a mapping of flag names to values`);
  for (const pair of doc.contents.items as Pair[]) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const origin: FlagOrigin = { text: `${path}:${lineOf(isScalar(keyNode) ? keyNode.range?.[0] : undefined)}`, fromFile: true };
    const def = BY_NAME.get(key);
    if (!def || !def.configurable) {
      throw configError(`${origin.text}: unknown key "${key}" (keys are flag names without the leading --, see --help)`);
    }
    const node = pair.value;
    let texts: string[];
    if (isSeq(node)) {
      if (def.arity !== 'repeatable' && def.placeholder !== '<list>') throw configError(`${origin.text}: ${key}: expected a single value, got a list`);
      texts = node.items.map((item) => plainScalarText(item) ?? '');
      if (texts.length === 0 || texts.some((t) => t === '')) throw configError(`${origin.text}: ${key}: expected a list of plain values`);
      if (def.arity !== 'repeatable') texts = [texts.join(',')];
    } else if (isScalar(node)) {
      const text = plainScalarText(node);
      if (text === null) throw configError(`${origin.text}: ${key}: expected a value`);
      if (def.arity === 'switch' && typeof node.value !== 'boolean') throw configError(`${origin.text}: ${key}: expected true or false, got ${JSON.stringify(text)}`);
      texts = [text];
    } else {
      throw configError(`${origin.text}: ${key}: expected a value`);
    }
    raw.set(key, { texts, origin });
  }
  return raw;
}

/** Command line (and config file) -> every flag's checked value. Throws UsageError (exit 2) with one clear line. */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const { command, positionals, raw: cli } = readCommandLine(argv);
  const configPath = cli.get(CONFIG_FILE.name)?.texts[0];
  const raw = configPath !== undefined ? new Map([...readConfigFile(configPath), ...cli]) : cli;
  const entries = new Map<string, { value: unknown; origin: FlagOrigin }>();
  for (const [name, { texts, origin }] of raw) {
    const def = BY_NAME.get(name);
    if (!def) continue;
    try {
      entries.set(name, { value: def.parse(texts), origin });
    } catch (error) {
      if (!(error instanceof FlagValueError)) throw error;
      throw origin.fromFile ? configError(`${origin.text}: ${name}: ${error.problem}`) : usage(`--${name}: ${error.problem}`);
    }
  }
  return { command, positionals, flags: new FlagValues(entries) };
}

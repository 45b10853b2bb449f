import type { Flag } from './flag.js';

/** Where a value came from, for messages: `--simulate.speed` or `config.yaml:3`. */
export interface FlagOrigin {
  readonly text: string;
  readonly fromFile: boolean;
}

interface Entry {
  readonly value: unknown;
  readonly origin: FlagOrigin;
}

/**
 * The parsed value of every flag given on the command line or in the config file. Each area reads the
 * flags it declared (`values.get(GRACE_PERIOD)`); a flag not given answers its declared default.
 */
export class FlagValues {
  constructor(private readonly entries: ReadonlyMap<string, Entry> = new Map()) {}

  get<T>(flag: Flag<T>): T {
    const entry = this.entries.get(flag.name);
    return entry === undefined ? flag.default : (entry.value as T);
  }

  isSet(flag: Flag<unknown>): boolean {
    return this.entries.has(flag.name);
  }

  /** `--name` or `file:line: name`, for messages about a value checked after parsing. */
  where(flag: Flag<unknown>): string {
    const origin = this.entries.get(flag.name)?.origin;
    return origin === undefined || !origin.fromFile ? `--${flag.name}` : `${origin.text}: ${flag.name}`;
  }

  fromFile(flag: Flag<unknown>): boolean {
    return this.entries.get(flag.name)?.origin.fromFile === true;
  }

  /** A copy with some values replaced (tests and derived commands). */
  with(values: ReadonlyArray<readonly [Flag<unknown>, unknown]>): FlagValues {
    const next = new Map(this.entries);
    for (const [flag, value] of values) next.set(flag.name, { value, origin: { text: `--${flag.name}`, fromFile: false } });
    return new FlagValues(next);
  }
}

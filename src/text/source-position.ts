import { isNode, LineCounter, parseDocument } from 'yaml';

/**
 * Where a problem is in a JSON or YAML text, for messages that name file and line. Every function here
 * runs only when there is an error to report.
 */

/**
 * Line of a key path in a YAML (or JSON) text. Builds the whole document tree: for small files such as
 * the web config only; a large JSON file takes `jsonLineOfPath`.
 */
export function lineOfPath(text: string, path: readonly PropertyKey[]): number | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false, uniqueKeys: false });
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return null;
}

/** One open object or array while walking, with the key or index of the member being read. */
interface Level {
  readonly array: boolean;
  key: string | number | null;
}

const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Offset just past the string whose opening quote is at `start`, or -1 when it never ends. */
function endOfString(text: string, start: number): number {
  for (let end = text.indexOf('"', start + 1); end !== -1; end = text.indexOf('"', end + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes += 1;
    if (backslashes % 2 === 0) return end + 1;
  }
  return -1;
}

/** Offset just past the object or array opening at `start` in a valid text, or -1 when it never ends. */
function endOfContainer(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      i = endOfString(text, i) - 1;
      if (i < 0) return -1;
    } else if (code === 0x7b || code === 0x5b) {
      depth += 1;
    } else if ((code === 0x7d || code === 0x5d) && --depth === 0) {
      return i + 1;
    }
  }
  return -1;
}

/** How much of `true`, `false` or `null` starts at `start`: a broken one is reported where it breaks. */
function keywordPrefixLength(text: string, start: number): number {
  const word = ['true', 'false', 'null'].find((w) => w[0] === text[start]) ?? '';
  let length = 0;
  while (length < word.length && text[start + length] === word[length]) length += 1;
  return length;
}

/**
 * Walks a JSON text token by token without building anything, keeping only the chain of open objects
 * and arrays, so a 100 MB text costs no memory beyond itself. With a `target` path it returns the offset
 * of the value there (or of the deepest part of the path that is there: a missing key is reported at
 * its object) and stops as soon as it is reached; without one, the offset of the first syntax error.
 * Strings are skipped, not checked (JSON.parse reports their errors with a position); a repeated key is
 * found at its first occurrence.
 */
function walkJson(text: string, target: readonly (string | number)[] | null): { pathOffset: number | null; errorOffset: number | null } {
  const levels: Level[] = [];
  let onPath = 0; // how many of the open levels, from the top, are on the target path
  let pathOffset: number | null = null;
  let expect: 'value' | 'first-value' | 'key' | 'first-key' | 'colon' | 'after' = 'value';
  const result = (errorOffset: number | null) => ({ pathOffset, errorOffset });
  const setKey = (level: Level, key: string | number | null): void => {
    const depth = levels.length - 1;
    level.key = key;
    if (onPath >= depth) onPath = key === target?.[depth] ? depth + 1 : depth;
  };
  const close = (): void => {
    levels.pop();
    onPath = Math.min(onPath, levels.length);
    expect = 'after';
  };
  let i = 0;
  for (;;) {
    while (i < text.length && isWhitespace(text.charCodeAt(i))) i += 1;
    if (i >= text.length) return result(levels.length === 0 && expect === 'after' ? null : text.length);
    const c = text[i];
    const level = levels[levels.length - 1];
    if (expect === 'first-value' && c === ']') {
      i += 1;
      close();
    } else if (expect === 'value' || expect === 'first-value') {
      if (target && onPath === levels.length) {
        pathOffset = i;
        if (levels.length === target.length) return result(null);
      } else if (target && (c === '{' || c === '[')) {
        // Off the path in a text JSON.parse accepted: only its end matters.
        i = endOfContainer(text, i);
        if (i === -1) return result(text.length);
        expect = 'after';
        continue;
      }
      if (c === '{' || c === '[') {
        const opened: Level = { array: c === '[', key: null };
        levels.push(opened);
        setKey(opened, opened.array ? 0 : null);
        expect = opened.array ? 'first-value' : 'first-key';
        i += 1;
      } else if (c === '"') {
        i = endOfString(text, i);
        if (i === -1) return result(text.length);
        expect = 'after';
      } else {
        SCALAR.lastIndex = i;
        const scalar = SCALAR.exec(text);
        if (!scalar) return result(i + keywordPrefixLength(text, i));
        i += scalar[0].length;
        expect = 'after';
      }
    } else if (expect === 'first-key' && c === '}') {
      i += 1;
      close();
    } else if (expect === 'key' || expect === 'first-key') {
      if (c !== '"' || !level) return result(i);
      const end = endOfString(text, i);
      if (end === -1) return result(text.length);
      const raw = text.slice(i + 1, end - 1);
      setKey(level, raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw);
      i = end;
      expect = 'colon';
    } else if (expect === 'colon') {
      if (c !== ':') return result(i);
      i += 1;
      expect = 'value';
    } else {
      if (!level) return result(i); // something after the top-level value
      if (c === ',') {
        if (level.array) setKey(level, (level.key as number) + 1);
        expect = level.array ? 'value' : 'key';
        i += 1;
      } else if (c === (level.array ? ']' : '}')) {
        i += 1;
        close();
      } else {
        return result(i);
      }
    }
  }
}

/** walkJson, or nothing when the text defeats it (a key with a bad escape in a text JSON.parse refused). */
function tryWalkJson(text: string, target: readonly (string | number)[] | null): { pathOffset: number | null; errorOffset: number | null } {
  try {
    return walkJson(text, target);
  } catch {
    return { pathOffset: null, errorOffset: null };
  }
}

/**
 * Line of a key path in a JSON text that JSON.parse accepted, or of the deepest part of the path that is
 * there. One pass over the text that stops at the path, so it suits files of any size.
 */
export function jsonLineOfPath(text: string, path: readonly PropertyKey[]): number | null {
  const target = path.map((part) => (typeof part === 'number' ? part : String(part)));
  const { pathOffset } = tryWalkJson(text, target);
  return pathOffset === null ? null : lineAndColumn(text, pathOffset).line;
}

/** 1-based line and column of a character offset, by counting line feeds up to it. */
export function lineAndColumn(text: string, offset: number): { line: number; col: number } {
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let next = text.indexOf('\n'); next !== -1 && next < end; next = text.indexOf('\n', next + 1)) {
    line += 1;
    lineStart = next + 1;
  }
  return { line, col: end - lineStart + 1 };
}

/** Control characters and line separators written as JSON escapes, so a message stays one line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
  return text.replace(/[\u0000-\u001f\u2028\u2029]/g, (c) => {
    const escaped = JSON.stringify(c).slice(1, -1); // JSON.stringify leaves U+2028 and U+2029 as they are
    return escaped === c ? `\\u${c.charCodeAt(0).toString(16)}` : escaped;
  });
}

/**
 * Position and description of the syntax error JSON.parse threw for `text`. V8 gives the offset in most
 * messages ("... in JSON at position N", Node 22 adds the line); "Unexpected end" is at the end; for
 * "Unexpected token 'x', "<excerpt>" is not valid JSON" a scan up to the first error finds it.
 */
export function jsonSyntaxError(text: string, error: unknown): { line: number | null; col: number | null; problem: string } {
  const message = error instanceof Error ? error.message : String(error);
  const position = /(?: in JSON)? at position (\d+)/.exec(message);
  let offset: number | null;
  if (position?.[1] !== undefined) offset = Number(position[1]);
  else if (message.startsWith('Unexpected end of JSON input')) offset = text.length;
  else offset = tryWalkJson(text, null).errorOffset;
  // The excerpt V8 quotes may hold line breaks and is no help once the line is known.
  const problem = (position ? message.slice(0, position.index) : message).replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
  const at = offset === null ? null : lineAndColumn(text, offset);
  return { line: at?.line ?? null, col: at?.col ?? null, problem: oneLine(problem) };
}

/** A JSON path as users read it: `tokenHandles[3].pid`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out === '' ? '(top level)' : out;
}

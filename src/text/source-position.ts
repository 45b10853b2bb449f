import { isNode, LineCounter, parseDocument } from 'yaml';

/**
 * Finds the line of a key path in a JSON or YAML text (JSON is YAML), for messages that say where a
 * problem is. Parsing happens only when there is an error to report, so big files stay fast.
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

/** A JSON path as users read it: `tokenHandles[3].pid`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out === '' ? '(top level)' : out;
}

/** Line and column of a JSON syntax error, from the parser that reports positions. */
export function syntaxErrorPosition(text: string): { line: number; col: number; message: string } | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const error = doc.errors[0];
  if (!error) return null;
  const pos = lineCounter.linePos(error.pos[0]);
  return { line: pos.line, col: pos.col, message: error.message.split('\n')[0] ?? '' };
}

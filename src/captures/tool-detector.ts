import { CAPTURE_TOOLS, type Capture, type CaptureTool } from './capture-types.js';
import { parseHandle } from './handle-parser.js';
import { parseKlistSessions } from './klist-parser.js';
import { parseLogonSessions } from './logonsessions-parser.js';
import { parseQuser } from './quser-parser.js';
import { parseQwinsta } from './qwinsta-parser.js';
import { readHeader } from './session-table.js';
import { captureLines } from './text-decoding.js';

/** Lines only one tool prints. */
const SIGNATURES: Readonly<Record<'logonsessions' | 'handle' | 'klist', readonly RegExp[]>> = {
  logonsessions: [/^LogonSessions v\d/i, /^\s*\[\d+\]\s+Logon session\s+[0-9a-f]{1,8}:[0-9a-f]{1,8}:?$/i],
  handle: [
    /^(?:Nt)?handle v\d/i,
    /^\S[^\t]*?\spid:\s*\d+(?:\s|$)/,
    /^Handle type summary:$/i,
    /^"?Process"?\s*,\s*"?PID"?\s*,/i,
    /^No matching handles found/i,
  ],
  klist: [/^\s*\[\d+\]\s+\S+\s+\d+\s+(?:0x)?[0-9a-f]{1,8}:0x[0-9a-f]{1,8}\s/i],
};

/** The tools whose output this text could be, by lines only they print (a header, a banner, a record). */
export function detectTools(text: string): CaptureTool[] {
  const found = new Set<CaptureTool>();
  const signatures = Object.entries(SIGNATURES) as [CaptureTool, readonly RegExp[]][];
  for (const line of captureLines(text)) {
    for (const [tool, patterns] of signatures) {
      if (!found.has(tool) && patterns.some((re) => re.test(line))) found.add(tool);
    }
    if (/^No User exists for\b/i.test(line.trim())) found.add('quser');
    // Only a line naming an ID column and no number can be a qwinsta or quser header.
    const header = /\bID\b/.test(line) && !/\d/.test(line) ? readHeader(line) : null;
    if (header) found.add(header.kind);
  }
  return CAPTURE_TOOLS.filter((t) => found.has(t));
}

export function parseAs(tool: CaptureTool, text: string): Capture {
  switch (tool) {
    case 'logonsessions':
      return parseLogonSessions(text);
    case 'handle':
      return parseHandle(text);
    case 'qwinsta':
      return parseQwinsta(text);
    case 'quser':
      return parseQuser(text);
    case 'klist':
      return parseKlistSessions(text);
  }
}

const NAMED_TOOLS: readonly (readonly [CaptureTool, RegExp])[] = [
  ['logonsessions', /logonsessions/],
  ['qwinsta', /query[-_ .]?session|qwinsta/],
  ['quser', /query[-_ .]?user|quser/],
  ['klist', /klist/],
  ['handle', /handle/],
];

/** The tool a file name announces (`logonsessions-p.txt`, `query_user.txt`); null when none or several. */
export function toolClaimedByName(fileName: string): CaptureTool | null {
  const name = fileName.toLowerCase().replace(/^.*[\\/]/, '');
  const named = NAMED_TOOLS.filter(([, re]) => re.test(name));
  return named.length === 1 && named[0] ? named[0][0] : null;
}

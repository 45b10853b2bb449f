import { readFile } from 'node:fs/promises';
import { UsageError, errorMessage } from '../errors.js';
import { recordCount, TOOL_DESCRIPTIONS, type Capture, type CaptureTool } from './capture-types.js';
import { decodeCapture, readingScore } from './text-decoding.js';
import { detectTools, parseAs, toolClaimedByName } from './tool-detector.js';

export interface ReadCapture {
  readonly file: string;
  readonly encoding: string;
  readonly capture: Capture;
}

/** Most records, then fewest unknown lines, then the code page that gives real letters. */
function isBetter(a: Capture, aText: string, b: ReadCapture & { text: string }): boolean {
  const [ra, rb] = [recordCount(a), recordCount(b.capture)];
  if (ra !== rb) return ra > rb;
  if (badness(a) !== badness(b.capture)) return badness(a) < badness(b.capture);
  return readingScore(aText) > readingScore(b.text);
}

/** Larger than any handle.exe dump of a real host (tens of MB), small enough to read at once. */
export const MAX_CAPTURE_BYTES = 256 * 1024 * 1024;

const SUPPORTED = 'logonsessions.exe, handle.exe, qwinsta/query session, quser/query user or klist sessions output';

function badness(c: Capture): number {
  return c.unknownLines.length + c.warnings.length;
}

/**
 * Bytes -> the capture of the tool that wrote them. Tries each plausible text encoding and each tool
 * whose lines appear, and keeps the reading with the most records and the fewest unknown lines.
 * Throws UsageError E_CAPTURE_UNRECOGNISED (exit 2) when no tool, or not the tool the file name
 * announces, wrote it.
 */
export function readCaptureBytes(file: string, bytes: Uint8Array): ReadCapture {
  const claimed = toolClaimedByName(file);
  let best: (ReadCapture & { text: string }) | null = null;
  const seen = new Set<CaptureTool>();
  for (const decoded of decodeCapture(bytes)) {
    for (const tool of detectTools(decoded.text)) {
      seen.add(tool);
      if (claimed && tool !== claimed) continue;
      const capture = parseAs(tool, decoded.text);
      if (!best || isBetter(capture, decoded.text, best)) best = { file, encoding: decoded.encoding, capture, text: decoded.text };
    }
  }
  if (!best) {
    const found = [...seen].map((t) => TOOL_DESCRIPTIONS[t]).join(' or ');
    if (claimed) {
      throw new UsageError('E_CAPTURE_UNRECOGNISED', `${file}: expected ${TOOL_DESCRIPTIONS[claimed]} (the file name says so), found ${found || 'nothing recognisable'}`);
    }
    throw new UsageError('E_CAPTURE_UNRECOGNISED', `${file}: not recognised as the output of a supported tool (expected ${SUPPORTED})`);
  }
  const c = best.capture;
  const first = c.unknownLines[0];
  if (recordCount(c) === 0 && first !== undefined) {
    throw new UsageError(
      'E_CAPTURE_UNRECOGNISED',
      `${file}: looks like ${TOOL_DESCRIPTIONS[c.tool]} but no record could be read (${c.unknownLines.length} unknown line${c.unknownLines.length > 1 ? 's' : ''}, the first at line ${first})`,
    );
  }
  return { file, encoding: best.encoding, capture: best.capture };
}

export async function readCaptureFile(path: string): Promise<ReadCapture> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : errorMessage(error);
    throw new UsageError('E_CAPTURE_READ', `${path}: cannot read capture: ${reason}`);
  }
  if (bytes.length > MAX_CAPTURE_BYTES) throw new UsageError('E_CAPTURE_READ', `${path}: cannot read capture: larger than ${MAX_CAPTURE_BYTES / 1024 / 1024} MiB`);
  return readCaptureBytes(path, bytes);
}

import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { type z } from 'zod';
import { UsageError, errorMessage } from '../../errors.js';
import { snapshotSchema, SNAPSHOT_SCHEMA_VERSION, type Snapshot } from '../../model/snapshot.js';
import { formatPath, jsonLineOfPath, jsonSyntaxError, oneLine } from '../../text/source-position.js';
import { isWindows } from '../../platform/os.js';

/** Describes the first problem of a zod error in one line, with the file and line. */
function describeIssue(file: string, text: string, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return `${file}: not a valid snapshot`;
  let problem = issue.message;
  if (issue.code === 'invalid_type') {
    problem = `expected ${issue.expected}`;
  } else if (issue.code === 'unrecognized_keys') {
    problem = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => oneLine(JSON.stringify(k))).join(', ')}`;
  } else if (issue.code === 'too_small' && issue.origin === 'number') {
    problem = `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
  } else if (issue.code === 'too_small' && issue.origin === 'string') {
    problem = 'must not be empty';
  } else if (issue.code === 'invalid_value' && issue.values.length > 1) {
    problem = `must be one of ${issue.values.map(String).join(', ')}`;
  }
  // An unknown key is reported at its own line, not at the object holding it.
  const firstKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const line = jsonLineOfPath(text, firstKey === undefined ? issue.path : [...issue.path, firstKey]);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return `${file}${line ? `:${line}` : ''}: ${formatPath(issue.path)}: ${oneLine(problem)}${more}`;
}

/** Validates text as a snapshot; `file` names it in messages. */
export function parseSnapshotText(file: string, text: string): Snapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const { line, col, problem } = jsonSyntaxError(text, error);
    throw new UsageError('E_SNAPSHOT_INVALID', `${line === null ? file : `${file}:${line}:${col}`}: not valid JSON (${problem})`);
  }
  if (data && typeof data === 'object' && 'schemaVersion' in data && data.schemaVersion !== SNAPSHOT_SCHEMA_VERSION) {
    throw new UsageError('E_SNAPSHOT_INVALID', `${file}: schemaVersion ${JSON.stringify(data.schemaVersion)} is not supported (this build reads ${SNAPSHOT_SCHEMA_VERSION})`);
  }
  const parsed = snapshotSchema.safeParse(data);
  if (!parsed.success) throw new UsageError('E_SNAPSHOT_INVALID', describeIssue(file, text, parsed.error));
  return parsed.data;
}

/** What a path is when it is not a regular file, for the message refusing it. */
function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'is a directory';
  if (info.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (info.isSocket()) return 'is a socket, not a regular file';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'is a device, not a regular file';
  return 'is not a regular file';
}

function readError(path: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT' ? 'no such file'
    : code === 'EISDIR' ? 'is a directory'
    : code === 'EACCES' ? 'permission denied'
    : code === 'ENXIO' ? 'is a socket, not a regular file'
    : oneLine(errorMessage(error));
  return new UsageError('E_SNAPSHOT_READ', `${path}: cannot read snapshot: ${reason}`);
}

// Non-blocking, so opening a FIFO returns at once instead of waiting for a writer (Windows has no such flag).
const OPEN_FLAGS = constants.O_RDONLY | (isWindows() ? 0 : constants.O_NONBLOCK);

/** Reads and validates one snapshot file; anything but a regular file (FIFO, socket, device) is refused. */
export async function readSnapshotFile(path: string): Promise<Snapshot> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    throw readError(path, error);
  }
  let text: string;
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UsageError('E_SNAPSHOT_READ', `${path}: cannot read snapshot: ${kindOf(info)}`);
    text = await handle.readFile('utf8');
  } catch (error) {
    throw error instanceof UsageError ? error : readError(path, error);
  } finally {
    await handle.close();
  }
  return parseSnapshotText(path.includes('/') || path.includes('\\') ? path : basename(path), text.replace(/^\uFEFF/, ''));
}

export function serializeSnapshot(snapshot: Snapshot): string {
  return `${JSON.stringify(snapshot, null, 2)}\n`;
}

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type z } from 'zod';
import { UsageError, errorMessage } from '../../errors.js';
import { snapshotSchema, SNAPSHOT_SCHEMA_VERSION, type Snapshot } from '../../model/snapshot.js';
import { formatPath, lineOfPath, syntaxErrorPosition } from '../../text/source-position.js';

/** Describes the first problem of a zod error in one line, with the file and line. */
function describeIssue(file: string, text: string, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return `${file}: not a valid snapshot`;
  let problem = issue.message;
  if (issue.code === 'invalid_type') {
    problem = `expected ${issue.expected}`;
  } else if (issue.code === 'unrecognized_keys') {
    problem = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  } else if (issue.code === 'too_small' && issue.origin === 'number') {
    problem = `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
  } else if (issue.code === 'too_small' && issue.origin === 'string') {
    problem = 'must not be empty';
  } else if (issue.code === 'invalid_value' && issue.values.length > 1) {
    problem = `must be one of ${issue.values.map(String).join(', ')}`;
  }
  // An unknown key is reported at its own line, not at the object holding it.
  const line = lineOfPath(text, issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return `${file}${line ? `:${line}` : ''}: ${formatPath(issue.path)}: ${problem}${more}`;
}

/** Validates text as a snapshot; `file` names it in messages. */
export function parseSnapshotText(file: string, text: string): Snapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const pos = syntaxErrorPosition(text);
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new UsageError('E_SNAPSHOT_INVALID', `${where}: not valid JSON${pos ? ` (${pos.message})` : ` (${errorMessage(error)})`}`);
  }
  if (data && typeof data === 'object' && 'schemaVersion' in data && data.schemaVersion !== SNAPSHOT_SCHEMA_VERSION) {
    throw new UsageError('E_SNAPSHOT_INVALID', `${file}: schemaVersion ${JSON.stringify(data.schemaVersion)} is not supported (this build reads ${SNAPSHOT_SCHEMA_VERSION})`);
  }
  const parsed = snapshotSchema.safeParse(data);
  if (!parsed.success) throw new UsageError('E_SNAPSHOT_INVALID', describeIssue(file, text, parsed.error));
  return parsed.data;
}

export async function readSnapshotFile(path: string): Promise<Snapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : errorMessage(error);
    throw new UsageError('E_SNAPSHOT_READ', `${path}: cannot read snapshot: ${reason}`);
  }
  return parseSnapshotText(path.includes('/') || path.includes('\\') ? path : basename(path), text.replace(/^\uFEFF/, ''));
}

export function serializeSnapshot(snapshot: Snapshot): string {
  return `${JSON.stringify(snapshot, null, 2)}\n`;
}

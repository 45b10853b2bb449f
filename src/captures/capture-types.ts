import type { SessionState } from '../model/session-states.js';

/** The tools whose text output `analyze` reads. */
export const CAPTURE_TOOLS = ['logonsessions', 'handle', 'qwinsta', 'quser', 'klist'] as const;
export type CaptureTool = (typeof CAPTURE_TOOLS)[number];

/** How each tool is named to the user, in messages and docs. */
export const TOOL_DESCRIPTIONS: Readonly<Record<CaptureTool, string>> = {
  logonsessions: 'Sysinternals logonsessions.exe output',
  handle: 'Sysinternals handle.exe output',
  qwinsta: 'qwinsta / query session output',
  quser: 'quser / query user output',
  klist: 'klist sessions output',
};

/** What every parser reports besides its records: lines it could not read (1-based numbers). */
export interface ParseStats {
  readonly unknownLines: readonly number[];
  /** Recognised lines with a value this build does not know (a state word, a logon type): kept, but said. */
  readonly warnings: readonly string[];
}

export interface LogonSessionRecord {
  /** `00000000:0017c025` */
  readonly logonId: string;
  readonly user: string;
  readonly domain: string;
  readonly authPackage: string;
  /** As printed (`RemoteInteractive`, `(none)`). */
  readonly logonType: string;
  readonly sessionId: number;
  readonly sid: string | null;
  /** As printed, in the host's locale (`06.04.2017 01:16:36`). */
  readonly logonTime: string | null;
  /** `-p`: processes of this logon session; null when the output has no process lists. */
  readonly processes: readonly { readonly pid: number; readonly image: string }[] | null;
}

export interface LogonSessionsCapture extends ParseStats {
  readonly tool: 'logonsessions';
  readonly sessions: readonly LogonSessionRecord[];
  /** True when the output lists processes (`logonsessions -p`). */
  readonly withProcesses: boolean;
}

export interface HandleRecord {
  readonly image: string;
  readonly pid: number;
  readonly type: string;
  /** The handle value (printed in hex). */
  readonly handle: number;
  readonly name: string;
}

export interface HandleCapture extends ParseStats {
  readonly tool: 'handle';
  /** search: `handle -a 17c025`; dump: whole-system with `----` separators; summary: `-s`; csv: `-v`. */
  readonly form: 'search' | 'dump' | 'summary' | 'csv';
  readonly handles: readonly HandleRecord[];
  /** Processes named in the output (dump headers and every handle line): pid -> image. */
  readonly processes: ReadonlyMap<number, string>;
  /** `-s`: handle counts by object type. */
  readonly summary: ReadonlyMap<string, number>;
}

export interface SessionRow {
  readonly sessionId: number;
  readonly sessionName: string;
  /** Empty when the row has none (services, listeners, console without a user). */
  readonly user: string;
  readonly state: SessionState;
  /** The row with the `>` marker: the session that ran the command. */
  readonly current: boolean;
}

export interface SessionListCapture extends ParseStats {
  readonly tool: 'qwinsta' | 'quser';
  readonly sessions: readonly SessionRow[];
}

export interface KlistSessionRecord {
  readonly logonId: string;
  readonly sessionId: number;
  readonly user: string;
  readonly domain: string;
  readonly authPackage: string;
  /** As printed (`RemoteInteractive`, `(0)`). */
  readonly logonType: string;
}

export interface KlistCapture extends ParseStats {
  readonly tool: 'klist';
  readonly sessions: readonly KlistSessionRecord[];
}

export type Capture = LogonSessionsCapture | HandleCapture | SessionListCapture | KlistCapture;

/** The number the JSON `inputs` reports: logon sessions, handle lines or session rows parsed. */
export function recordCount(capture: Capture): number {
  switch (capture.tool) {
    case 'logonsessions':
    case 'klist':
    case 'qwinsta':
    case 'quser':
      return capture.sessions.length;
    case 'handle':
      return capture.form === 'summary' ? capture.summary.size : capture.handles.length;
  }
}

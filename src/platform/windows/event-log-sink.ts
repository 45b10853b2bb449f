/**
 * A pino destination that writes records to the Windows Event Log (Application log, source
 * rds-leak-exporter) with ReportEventW, through the EventLogApi seam (unit-tested on Linux).
 *
 * Event IDs (the message file rds-leak-exporter-messages.dll maps each to "%1", the record's text):
 *   1 information, 2 warning, 3 error. The text is the message, then the record's fields as logfmt.
 * The source must be registered (service install does it); otherwise Event Viewer shows
 * "The description for Event ID ... cannot be found" followed by the text.
 */
import logfmt from 'logfmt';
import type { EventLogApi } from './service-api.js';
import { EVENTLOG_ERROR_TYPE, EVENTLOG_INFORMATION_TYPE, EVENTLOG_WARNING_TYPE } from './scm-constants.js';

export const EVENT_ID_INFO = 1;
export const EVENT_ID_WARNING = 2;
export const EVENT_ID_ERROR = 3;

/** ReportEventW insertion strings are limited to 31,839 characters. */
export const MAX_EVENT_TEXT = 31_839;

export interface EventRecord {
  readonly type: number;
  readonly eventId: number;
  readonly text: string;
}

/** Maps one pino JSON line (level as a label, as src/logger.ts formats it) to an event. */
export function eventFromLogLine(line: string): EventRecord {
  const record = JSON.parse(line) as Record<string, unknown>;
  const { level, msg, time, ...fields } = record;
  void time; // the Event Log records its own time
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) flat[k] = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  const details = Object.keys(flat).length > 0 ? `\r\n\r\n${logfmt.stringify(flat)}` : '';
  const text = `${typeof msg === 'string' ? msg : ''}${details}`.slice(0, MAX_EVENT_TEXT);
  if (level === 'error' || level === 'fatal') return { type: EVENTLOG_ERROR_TYPE, eventId: EVENT_ID_ERROR, text };
  if (level === 'warn') return { type: EVENTLOG_WARNING_TYPE, eventId: EVENT_ID_WARNING, text };
  return { type: EVENTLOG_INFORMATION_TYPE, eventId: EVENT_ID_INFO, text };
}

export class EventLogSink {
  private handle: bigint | null;
  private failed = false;

  constructor(
    private readonly api: EventLogApi,
    source: string,
    /** Where to say (once) that the Event Log refused a record. */
    private readonly fallback: { write(line: string): unknown },
  ) {
    const registered = api.registerEventSource(source);
    if (registered.value === null) throw new Error(`RegisterEventSourceW(${source}) failed (Win32 error ${registered.error})`);
    this.handle = registered.value;
  }

  write(line: string): void {
    if (this.handle === null) return;
    const event = eventFromLogLine(line);
    const error = this.api.reportEvent(this.handle, event.type, event.eventId, event.text);
    if (error !== 0 && !this.failed) {
      this.failed = true;
      this.fallback.write(`rds-leak-exporter: ReportEventW failed (Win32 error ${error}); further Event Log failures are not reported\n`);
    }
  }

  close(): void {
    if (this.handle !== null) this.api.deregisterEventSource(this.handle);
    this.handle = null;
  }
}

import { durationFlag, fileFlag, textFlag } from '../flags/flag.js';
import { FlagValueError } from '../flags/flag.js';
import type { FlagValues } from '../flags/flag-values.js';

export interface ListenAddress {
  /** Empty for every interface. */
  readonly host: string;
  readonly port: number;
}

/** `[host]:port`, `host:port` or `:port`; null when the text is none of these. */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) return null;
  return { host: m[1] ?? m[2] ?? '', port };
}

export const LISTEN_ADDRESS = textFlag({
  name: 'web.listen-address',
  help: 'Address to listen on; empty (--web.listen-address=) turns HTTP off, for --textfile.directory alone. report looks for the local agent there.',
  default: ':10189',
  placeholder: '<[host]:port>',
  commands: ['serve', 'report'],
  check: (v) => (v === '' || parseListenAddress(v) ? null : `expected [host]:port such as :10189 or 127.0.0.1:10189, got "${v}"`),
});

export const WEB_CONFIG_FILE = fileFlag({
  name: 'web.config.file',
  help: 'Prometheus exporter-toolkit web configuration (TLS, basic auth, headers); re-read when it changes and on SIGHUP. report uses its TLS to reach the local agent.',
  commands: ['serve', 'report'],
});

/** Endpoints of the exporter itself, which the metrics path must not hide. */
export const OWN_ENDPOINTS = ['/health', '/version'] as const;

export const TELEMETRY_PATH = textFlag({
  name: 'web.telemetry-path',
  help: 'Path under which to expose metrics.',
  default: '/metrics',
  placeholder: '<path>',
  commands: ['serve'],
  check: (path) => {
    if (!/^\/[A-Za-z0-9._~/-]+$/.test(path)) return `expected a path such as /metrics, got "${path}"`;
    if ((OWN_ENDPOINTS as readonly string[]).includes(path)) return `${path} is the exporter's own endpoint; choose another path`;
    return null;
  },
});

export const TIMEOUT_MARGIN = durationFlag({
  name: 'scrape.timeout-margin',
  help: 'Subtracted from the scrape timeout header to leave time for the response.',
  default: 500,
  minMs: 0,
  maxMs: 60_000,
  commands: ['serve'],
});

export const SERVER_FLAGS = [LISTEN_ADDRESS, WEB_CONFIG_FILE, TELEMETRY_PATH, TIMEOUT_MARGIN] as const;

export interface ServerSettings {
  /** Null: no HTTP listener (an empty --web.listen-address, with --textfile.directory). */
  readonly listenAddress: ListenAddress | null;
  readonly telemetryPath: string;
  /** exporter-toolkit web configuration file, or null for plain HTTP. */
  readonly webConfigFile: string | null;
  readonly timeoutMarginMs: number;
}

export function serverSettingsFrom(values: FlagValues): ServerSettings {
  const text = values.get(LISTEN_ADDRESS);
  const listenAddress = text === '' ? null : parseListenAddress(text);
  if (text !== '' && listenAddress === null) throw new FlagValueError('unreachable: checked by the flag');
  return { listenAddress, telemetryPath: values.get(TELEMETRY_PATH), webConfigFile: values.get(WEB_CONFIG_FILE), timeoutMarginMs: values.get(TIMEOUT_MARGIN) };
}

import { LOGON_TYPE_NAMES } from '../model/logon-types.js';
import { SIMULATION_PROFILES } from '../sources/simulate/profiles.js';
import { SOURCE_KINDS } from '../sources/source.js';

/**
 * Every flag, following Prometheus exporter conventions. The same names are the keys of the
 * `--config.file` YAML; the command line wins.
 */
export type FlagKind = 'string' | 'boolean' | 'duration' | 'number' | 'integer' | 'enum' | 'list' | 'paths';

export interface FlagDefinition {
  readonly name: string;
  readonly kind: FlagKind;
  readonly help: string;
  /** Shown in --help; the effective default is applied by the options schema. */
  readonly defaultText?: string;
  readonly choices?: readonly string[];
  /** Only meaningful for these commands (for --help). */
  readonly commands?: readonly string[];
}

export const COMMANDS = ['serve', 'snapshot', 'report'] as const;
export type Command = (typeof COMMANDS)[number];

export const FLAGS: readonly FlagDefinition[] = [
  { name: 'config.file', kind: 'string', help: 'YAML file whose keys are these flag names; the command line wins.' },
  { name: 'web.listen-address', kind: 'string', help: 'Address to listen on; empty (--web.listen-address=) turns HTTP off, for --textfile.directory alone.', defaultText: ':10189', commands: ['serve'] },
  { name: 'web.config.file', kind: 'string', help: 'Prometheus exporter-toolkit web configuration (TLS, basic auth, headers).', commands: ['serve'] },
  { name: 'web.telemetry-path', kind: 'string', help: 'Path under which to expose metrics.', defaultText: '/metrics', commands: ['serve'] },
  { name: 'log.level', kind: 'enum', choices: ['debug', 'info', 'warn', 'error'], help: 'Only log messages with the given severity or above.', defaultText: 'info' },
  { name: 'log.format', kind: 'enum', choices: ['logfmt', 'json'], help: 'Output format of log messages.', defaultText: 'logfmt' },
  { name: 'source', kind: 'enum', choices: SOURCE_KINDS, help: 'Where snapshots come from.', defaultText: 'windows on Windows, simulate elsewhere' },
  { name: 'file.path', kind: 'paths', help: 'Snapshot JSON file for --source file; repeat it (or give a directory) to replay a sequence in order.' },
  { name: 'file.loop', kind: 'boolean', help: 'Start the replayed sequence again after its last snapshot instead of repeating the last one.', defaultText: 'false' },
  { name: 'simulate.profile', kind: 'enum', choices: SIMULATION_PROFILES, help: 'Simulated host behaviour.', defaultText: 'leaky' },
  { name: 'simulate.speed', kind: 'number', help: 'Simulated seconds per real second.', defaultText: '60' },
  { name: 'simulate.seed', kind: 'integer', help: 'Seed of the simulation (same seed, same host).', defaultText: '5' },
  { name: 'simulate.host-name', kind: 'string', help: 'Host name the simulated host reports.', defaultText: 'rds-sim-01' },
  { name: 'simulate.users', kind: 'integer', help: 'Users logged on in steady state.', defaultText: '20' },
  { name: 'simulate.citrix', kind: 'boolean', help: 'Simulate Citrix Virtual Apps on RDS (ICA-CGP sessions, CtxSvcHost); --no-simulate.citrix for plain RDS (RDP-Tcp).', defaultText: 'true' },
  { name: 'simulate.advance', kind: 'duration', help: 'Start the simulated host this much simulated time after boot (e.g. 2h to see zombies at once).', defaultText: '0s' },
  { name: 'simulate.leak-share', kind: 'number', help: 'Probability (0..1) that a service token handle leaks at logoff.', defaultText: 'profile: healthy 0, leaky 0.08' },
  { name: 'zombie.grace-period', kind: 'duration', help: 'How long a logon session must stay orphaned before it counts as a zombie.', defaultText: '5m' },
  { name: 'zombie.logon-types', kind: 'list', choices: LOGON_TYPE_NAMES, help: 'Comma-separated logon types that can become zombies.', defaultText: 'interactive,remote_interactive,cached_interactive,cached_remote_interactive' },
  { name: 'metrics.zombie-info-limit', kind: 'integer', help: 'At most this many rdsleak_zombie_logon_session_info series.', defaultText: '100', commands: ['serve'] },
  { name: 'metrics.include-user-names', kind: 'boolean', help: 'Add user and domain labels to rdsleak_zombie_logon_session_info (privacy: off by default).', defaultText: 'false', commands: ['serve'] },
  { name: 'collection.min-interval', kind: 'duration', help: 'Serve the previous collection to scrapes that come sooner than this.', defaultText: '0s', commands: ['serve'] },
  { name: 'collection.timeout', kind: 'duration', help: 'Collection budget when the scrape sends no X-Prometheus-Scrape-Timeout-Seconds header.', defaultText: '30s' },
  { name: 'scrape.timeout-margin', kind: 'duration', help: 'Subtracted from the scrape timeout header to leave time for the response.', defaultText: '500ms', commands: ['serve'] },
  { name: 'textfile.directory', kind: 'string', help: 'Also write the metrics to rds_leak.prom in this directory, for a textfile collector (windows_exporter).', commands: ['serve'] },
  { name: 'textfile.interval', kind: 'duration', help: 'How often --textfile.directory collects and rewrites rds_leak.prom.', defaultText: '30s', commands: ['serve'] },
  { name: 'windows.concurrency', kind: 'integer', help: 'Holder processes opened in parallel by the Windows source.', defaultText: '4' },
  { name: 'report.format', kind: 'enum', choices: ['text', 'json'], help: 'Output of the report command.', defaultText: 'text', commands: ['report'] },
  { name: 'help', kind: 'boolean', help: 'Show this help.' },
  { name: 'version', kind: 'boolean', help: 'Show the version.' },
];

export const FLAGS_BY_NAME: ReadonlyMap<string, FlagDefinition> = new Map(FLAGS.map((f) => [f.name, f]));

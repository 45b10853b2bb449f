import { ANALYSIS_FLAGS } from '../analysis/flags.js';
import { COLLECTION_FLAGS } from '../collection/flags.js';
import { fileFlag, switchFlag, type AnyFlag } from '../flags/flag.js';
import { LOG_FLAGS } from '../logging/flags.js';
import { TEXTFILE_FLAGS } from '../export/flags.js';
import { METRICS_FLAGS } from '../metrics/flags.js';
import { REPORT_FLAGS } from '../report/flags.js';
import { SERVER_FLAGS } from '../server/flags.js';
import { SOURCE_FLAGS } from '../sources/flags.js';

export const COMMANDS = ['serve', 'snapshot', 'report', 'analyze'] as const;

/** Commands that take positional arguments (the capture files of `analyze`). */
export const COMMANDS_WITH_FILES: readonly Command[] = ['analyze'];
export type Command = (typeof COMMANDS)[number];

export const CONFIG_FILE = fileFlag({ name: 'config.file', help: 'YAML file whose keys are these flag names; the command line wins.', configurable: false });
export const HELP = switchFlag({ name: 'help', help: 'Show this help.', default: false, configurable: false });
export const VERSION_FLAG = switchFlag({ name: 'version', help: 'Show the version.', default: false, configurable: false });

/** Every flag of the CLI, in the order --help and the README show them. Each is declared next to where it acts. */
export const ALL_FLAGS: readonly AnyFlag[] = [
  CONFIG_FILE,
  ...SERVER_FLAGS,
  ...LOG_FLAGS,
  ...SOURCE_FLAGS,
  ...ANALYSIS_FLAGS,
  ...METRICS_FLAGS,
  ...COLLECTION_FLAGS,
  ...TEXTFILE_FLAGS,
  ...REPORT_FLAGS,
  HELP,
  VERSION_FLAG,
] as readonly AnyFlag[];

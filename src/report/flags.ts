import { enumFlag } from '../flags/flag.js';

export const REPORT_FORMAT = enumFlag({ name: 'report.format', help: 'Output of the report command.', choices: ['text', 'json'], default: 'text', commands: ['report'] });

export const REPORT_FLAGS = [REPORT_FORMAT] as const;

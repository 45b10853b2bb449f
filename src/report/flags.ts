import { enumFlag } from '../flags/flag.js';

export const REPORT_FORMAT = enumFlag({
  name: 'report.format',
  help: 'Output of report and analyze: text, JSON, or the Prometheus exposition.',
  choices: ['text', 'json', 'prom'],
  default: 'text',
  commands: ['report', 'analyze'],
});

export const REPORT_FLAGS = [REPORT_FORMAT] as const;

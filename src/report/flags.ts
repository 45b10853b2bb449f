import { enumFlag, optional, textFlag } from '../flags/flag.js';

export const REPORT_FORMAT = enumFlag({
  name: 'report.format',
  help: 'Output of report and analyze: text, JSON, or the Prometheus exposition.',
  choices: ['text', 'json', 'prom'],
  default: 'text',
  commands: ['report', 'analyze'],
});


export const AGENT_URL = optional(
  textFlag({
    name: 'agent.url',
    help: 'Running agent that report asks first (its /api/v1/analysis); given, report asks it whatever the source.',
    default: '',
    placeholder: '<url>',
    commands: ['report'],
    check: (v) => {
      try {
        const url = new URL(v);
        return url.protocol === 'http:' || url.protocol === 'https:' ? null : `expected an http:// or https:// URL, got "${v}"`;
      } catch {
        return `expected a URL such as http://127.0.0.1:10189, got "${v}"`;
      }
    },
  }),
  'the local agent on --web.listen-address, asked only with --source windows',
);

export const AGENT_BASIC_AUTH_USER = optional(
  textFlag({
    name: 'agent.basic-auth-user',
    help: 'User for the agent\'s basic auth; the password is read from the environment variable RDSLEAK_AGENT_PASSWORD.',
    default: '',
    placeholder: '<user>',
    commands: ['report'],
  }),
  'none',
);

/** Never a flag: a password on the command line shows in every process list. */
export const AGENT_PASSWORD_ENV = 'RDSLEAK_AGENT_PASSWORD';

export const REPORT_FLAGS = [REPORT_FORMAT, AGENT_URL, AGENT_BASIC_AUTH_USER] as const;

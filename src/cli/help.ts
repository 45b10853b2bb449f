import { FLAGS } from '../config/flag-definitions.js';
import { VERSION } from '../version.js';

export function helpText(): string {
  const lines = [
    `rds-leak-exporter ${VERSION}: leaked token handles and zombie logon sessions on Windows RDS hosts, for Prometheus.`,
    '',
    'Usage: rds-leak-exporter [serve|snapshot|report] [flags]',
    '       rds-leak-exporter service <install|uninstall|start|stop|status|configure> (Windows; service --help)',
    '',
    'Commands:',
    '  serve     serve /metrics (default)',
    '  snapshot  print one snapshot as JSON (for support cases and --source file)',
    '  report    print zombies and their holders; exit 0 none, 1 zombies found, 2 error',
    '',
    'Flags:',
  ];
  for (const f of FLAGS) {
    const value = f.kind === 'boolean' ? '' : f.kind === 'enum' ? `=<${f.choices?.join('|')}>` : `=<${f.kind}>`;
    lines.push(`  --${f.name}${value}`);
    lines.push(`      ${f.help}${f.defaultText ? ` Default: ${f.defaultText}.` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

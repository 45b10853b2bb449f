import { VERSION } from '../version.js';
import { ALL_FLAGS } from './flags.js';

export function helpText(): string {
  const lines = [
    `rds-leak-exporter ${VERSION}: leaked token handles and zombie logon sessions on Windows RDS hosts, for Prometheus.`,
    '',
    'Usage: rds-leak-exporter [serve|snapshot|report] [flags]',
    '       rds-leak-exporter analyze FILE... [flags]',
    '       rds-leak-exporter service <install|uninstall|start|stop|status|configure> (Windows; service --help)',
    '',
    'Commands:',
    '  serve     serve /metrics (default)',
    '  snapshot  print one snapshot as JSON (for support cases and --source file)',
    '  report    print zombies and their holders; exit 0 none, 1 zombies found, 2 error',
    '  analyze   the same report from saved logonsessions, handle, qwinsta/quser or klist output (docs/analyze.md)',
    '',
    'Flags (also keys of the --config.file YAML, without the leading --):',
  ];
  for (const f of ALL_FLAGS) {
    const value = f.placeholder === '' ? '' : `=${f.placeholder}`;
    const only = f.commands.length > 0 ? ` (${f.commands.join(', ')})` : '';
    lines.push(`  --${f.name}${value}${f.arity === 'repeatable' ? ' ...' : ''}`);
    lines.push(`      ${f.help}${f.defaultText ? ` Default: ${f.defaultText}.` : ''}${only}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The flags table of the README (between its `flags` markers), generated so it cannot drift. */
export function flagsMarkdownTable(): string {
  const rows = ['| flag | default | meaning |', '|---|---|---|'];
  for (const f of ALL_FLAGS) {
    const name = f.arity === 'repeatable' ? `\`--${f.name}\` (repeatable)` : `\`--${f.name}\``;
    const def = f.defaultText === '' ? '' : `\`${f.defaultText}\``;
    rows.push(`| ${name} | ${def} | ${f.help.replace(/\|/g, '\\|')} |`);
  }
  return `${rows.join('\n')}\n`;
}

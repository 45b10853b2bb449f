/** amtool: the example Alertmanager configuration is valid and routes and inhibits as documented. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from './helpers.js';

const CONFIG = 'alerts/alertmanager.example.yml';

function routeFor(...labels: string[]): string {
  const result = run('amtool', ['config', 'routes', 'test', `--config.file=${CONFIG}`, ...labels]);
  expect(result.status, result.output).toBe(0);
  return result.stdout.trim();
}

describe('alerts/alertmanager.example.yml', () => {
  it('passes amtool check-config', () => {
    const result = run('amtool', ['check-config', CONFIG]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it('routes critical alerts to the pager and warnings to the chat', () => {
    expect(routeFor('alertname=RdsSessionIdsNotReused', 'severity=critical', 'instance=rds-01')).toBe('rds-admins-pager');
    expect(routeFor('alertname=RdsSessionIdsNotReused', 'severity=warning', 'instance=rds-01')).toBe('rds-admins-chat');
    expect(routeFor('alertname=RdsExporterDown', 'severity=warning', 'instance=rds-01')).toBe('rds-admins-chat');
    expect(routeFor('alertname=SomethingElse', 'severity=critical')).toBe('rds-admins-mail');
  });

  it('inhibits: exporter down silences the instance, critical silences warning of the same alert', () => {
    const config = parse(readFileSync(join(REPO_ROOT, CONFIG), 'utf8')) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    const rules = config.inhibit_rules;
    const down = rules.find((r) => r.source_matchers.includes('alertname="RdsExporterDown"'));
    expect(down?.equal).toEqual(expect.arrayContaining(['job', 'instance']));
    expect(down?.target_matchers).toContain('alertname!="RdsExporterDown"');
    const tier = rules.find((r) => r.source_matchers.includes('severity="critical"'));
    expect(tier?.target_matchers).toContain('severity="warning"');
    expect(tier?.equal).toEqual(expect.arrayContaining(['alertname', 'job', 'instance']));
  });
});

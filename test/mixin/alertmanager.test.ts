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

  it('pages only for a whole site down; critical leaks open a ticket, warnings go to the chat', () => {
    expect(routeFor('alertname=RdsExporterSiteDown', 'severity=critical', 'farm=farm-1', 'site=site-1')).toBe('rds-oncall-pager');
    expect(routeFor('alertname=RdsSessionIdsNotReused', 'severity=critical', 'instance=rds-01')).toBe('rds-tickets');
    expect(routeFor('alertname=RdsZombieLogonSessionsHigh', 'severity=critical', 'instance=rds-01')).toBe('rds-tickets');
    expect(routeFor('alertname=RdsSessionIdsNotReused', 'severity=warning', 'instance=rds-01')).toBe('rds-admins-chat');
    expect(routeFor('alertname=RdsExporterDown', 'severity=warning', 'instance=rds-01')).toBe('rds-admins-chat');
    expect(routeFor('alertname=SomethingElse', 'severity=critical')).toBe('rds-admins-mail');
  });

  it('groups by alert name and farm (per site for the page); leak routes are active in business hours only', () => {
    const config = parse(readFileSync(join(REPO_ROOT, CONFIG), 'utf8')) as {
      route: { group_by: string[]; routes: { receiver: string; group_by?: string[]; active_time_intervals?: string[] }[] };
      time_intervals: { name: string; time_intervals: { weekdays: string[]; times: { start_time: string; end_time: string }[] }[] }[];
    };
    expect(config.route.group_by).toEqual(['alertname', 'farm']);
    const pager = config.route.routes.find((r) => r.receiver === 'rds-oncall-pager')!;
    expect(pager.group_by).toEqual(['alertname', 'farm', 'site']);
    expect(pager.active_time_intervals).toBeUndefined();
    for (const receiver of ['rds-tickets', 'rds-admins-chat']) {
      expect(config.route.routes.find((r) => r.receiver === receiver)?.active_time_intervals, receiver).toEqual(['business-hours']);
    }
    const hours = config.time_intervals.find((t) => t.name === 'business-hours')!.time_intervals[0]!;
    expect(hours.weekdays).toEqual(['monday:friday']);
    expect(hours.times[0]).toEqual({ start_time: '08:00', end_time: '18:00' });
  });

  it('inhibits: exporter down silences the instance, critical silences warning of the same alert', () => {
    const config = parse(readFileSync(join(REPO_ROOT, CONFIG), 'utf8')) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    const rules = config.inhibit_rules;
    const down = rules.find((r) => r.source_matchers.includes('alertname="RdsExporterDown"'));
    expect(down?.equal).toEqual(expect.arrayContaining(['job', 'instance']));
    expect(down?.target_matchers).toContain('alertname!="RdsExporterDown"');
    const site = rules.find((r) => r.source_matchers.includes('alertname="RdsExporterSiteDown"'));
    expect(site?.target_matchers).toEqual(['alertname="RdsExporterDown"']);
    expect(site?.equal).toEqual(['job', 'farm', 'site']);
    const tier = rules.find((r) => r.source_matchers.includes('severity="critical"'));
    expect(tier?.target_matchers).toContain('severity="warning"');
    expect(tier?.equal).toEqual(expect.arrayContaining(['alertname', 'job', 'instance']));
  });
});

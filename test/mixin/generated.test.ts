/**
 * The committed dashboards and rule files are generated from the mixin: regenerating them must give
 * byte-identical files. Run `npm run generate` after changing mixin/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, renderMixin, withOverrides, dashboards, panelsOf } from '../../mixin/index.js';
import { REPO_ROOT } from './helpers.js';

const generated = renderMixin(defaultConfig);

describe('generated mixin files', () => {
  it.each(Object.keys(generated))('%s is up to date (npm run generate)', (path) => {
    const file = join(REPO_ROOT, path);
    expect(existsSync(file), `${path} is missing: run npm run generate and commit it`).toBe(true);
    const committed = readFileSync(file, 'utf8');
    expect(committed === generated[path], `${path} differs from the mixin's output: run npm run generate and commit the result`).toBe(true);
  });

  it('dashboards/ holds only generated dashboards', () => {
    const expected = Object.keys(generated).filter((p) => p.startsWith('dashboards/')).map((p) => p.slice('dashboards/'.length));
    expect(readdirSync(join(REPO_ROOT, 'dashboards')).sort()).toEqual(expected.sort());
  });

  it('is deterministic and driven by the config', () => {
    expect(renderMixin(defaultConfig)).toEqual(generated);
    const custom = withOverrides({ selector: 'job="rds"', thresholds: { zombieLogonSessions: { warning: { threshold: 7, for: '5m' } } } });
    const files = renderMixin(custom);
    expect(files['alerts/rds-leak-alerts.yml']).toContain('rdsleak_session_id_highest{job="rds"}');
    expect(files['alerts/rds-leak-alerts.yml']).toContain('>= 7');
    expect(files['alerts/rds-leak-rules.yml']).not.toContain('job="rds-leak-exporter"');
    // Overrides leave the rest of the default config alone.
    expect(custom.thresholds.zombieLogonSessions.critical).toEqual(defaultConfig.thresholds.zombieLogonSessions.critical);
    expect(Object.values(dashboards(withOverrides({ dashboard: { tags: ['x'] } }))).every((d) => d.tags?.join() === 'x')).toBe(true);
    // topk and the farm/site label names come from the config too.
    const farm = renderMixin(withOverrides({ labels: { farm: 'pool', site: 'dc' }, dashboard: { topk: 7 } }))['dashboards/rds-farm-overview.json']!;
    expect(farm).toContain('pool=~\\"$farm\\",dc=~\\"$site\\"');
    expect(farm).toContain('topk(7, ');
    expect(farm).not.toContain('topk(10, ');
  });

  it('dashboard colour thresholds are the alert thresholds of the config', () => {
    const custom = withOverrides({
      thresholds: {
        sessionIdsNotReused: { warning: { gap: 11, pinned: 3, for: '30m' }, critical: { gap: 44, pinned: 33, for: '15m' } },
        zombieLogonSessions: { warning: { threshold: 7, for: '30m' }, critical: { threshold: 70, for: '15m' } },
        leakedTokenHandlesGrowth: { projectedLimit: 900, floor: 40, for: '1h' },
      },
    });
    const steps = (d: ReturnType<typeof dashboards>[string], title: string) =>
      (panelsOf(d).find((p) => p.title === title)!.fieldConfig!.defaults.thresholds as { steps: { value: number | null; color: string }[] }).steps
        .filter((s) => s.color !== 'yellow')
        .map((s) => s.value);
    const boards = Object.values(dashboards(custom));
    expect(boards.length).toBe(2);
    for (const d of boards) {
      expect(steps(d, 'Zombie logon sessions'), d.title).toEqual([null, 7, 70]);
      expect(steps(d, 'Pinned session IDs'), d.title).toEqual([null, 3, 33]);
      expect(steps(d, 'Leaked token handles'), d.title).toEqual([null, 40, 900]);
    }
    const farm = boards.find((d) => d.uid!.endsWith('farm-overview'))!;
    expect(steps(farm, 'Largest session-ID gap')).toEqual([null, 11, 44]);
    expect(steps(farm, 'Hosts ranked by leaked token handles')).toEqual([null, 40, 900]);
    const alerts = renderMixin(custom)['alerts/rds-leak-alerts.yml']!;
    for (const n of ['>= 7', '>= 70', '>= 3', '>= 33', '>= 11', '>= 44', '> 900', '>= 40']) expect(alerts).toContain(n);
  });

  it('the compiled generator (npm run generate) writes exactly these files', () => {
    const script = join(REPO_ROOT, 'dist/mixin/generate.js');
    expect(existsSync(script), `${script} is missing: run npm run build first (npm test does)`).toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'rdsleak-mixin-'));
    try {
      const result = spawnSync(process.execPath, [script, '--out', out], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      for (const [path, content] of Object.entries(generated)) expect(readFileSync(join(out, path), 'utf8') === content, path).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/**
 * The committed dashboards are checked against Grafana's own dashboard schema, @grafana/schema (the
 * TypeScript types Grafana's frontend is built with; no Grafana server can be installed here and no
 * package ships a runtime JSON schema of the v1 dashboard model). Each dashboard JSON is pasted as an
 * object literal typed as that schema and compiled with tsc, so excess-property checks flag any field
 * the schema does not know and type checks flag a wrong type. A deliberately broken copy must fail, so
 * the check can fail.
 *
 * Limits: panel `options` and `fieldConfig.defaults.custom` are loosely typed (Record<string, unknown>)
 * in the schema, so only their presence is checked here; test/mixin/lint.test.ts checks the rest.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_FILES } from '../../mixin/index.js';
import { REPO_ROOT } from './helpers.js';

/** JSON has string literals where the schema has string enums: each enum accepts its values. */
const JSON_TYPE = `import type { Dashboard } from '@grafana/schema';
type Json<T> = T extends string ? \`\${T}\` : T extends (infer E)[] ? Json<E>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
export type DashboardJson = Json<Dashboard>;
`;

function moduleOf(name: string, json: string): string {
  return `import type { DashboardJson } from './dashboard-json.js';\nexport const ${name}: DashboardJson = ${json};\n`;
}

function compile(files: Record<string, string>): { status: number | null; output: string } {
  // Inside the repository, so that '@grafana/schema' resolves from its node_modules.
  const base = join(REPO_ROOT, 'node_modules/.cache');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'rdsleak-schema-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: true, types: [] },
        files: Object.keys(files),
      }),
    );
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('dashboards against @grafana/schema', () => {
  it('every committed dashboard type-checks as a @grafana/schema Dashboard; a broken copy does not', () => {
    const files: Record<string, string> = { 'dashboard-json.ts': JSON_TYPE };
    const names = Object.entries(DASHBOARD_FILES).map(([key, path]) => {
      files[`${key}.ts`] = moduleOf(key, readFileSync(join(REPO_ROOT, path), 'utf8'));
      return `${key}.ts`;
    });
    const broken = JSON.parse(readFileSync(join(REPO_ROOT, DASHBOARD_FILES.farm), 'utf8')) as { panels: Record<string, unknown>[]; refresh: unknown };
    broken.panels[0]!.gridPos = { h: 4, w: '4', x: 0, y: 0 };
    broken.panels[1]!.fieldConfigs = {};
    files['broken.ts'] = moduleOf('broken', JSON.stringify(broken, null, 2));

    const { output } = compile(files);
    const errors = output.split('\n').filter((l) => /error TS\d+/.test(l));
    for (const name of names) expect(errors.filter((e) => e.startsWith(name)), `${name} deviates from @grafana/schema`).toEqual([]);
    const brokenErrors = errors.filter((e) => e.startsWith('broken.ts'));
    expect(brokenErrors.some((e) => e.includes("'string' is not assignable to type 'number'")), output).toBe(true);
    expect(brokenErrors.some((e) => e.includes('"fieldConfigs"')), output).toBe(true);
    expect(errors.length, output).toBe(brokenErrors.length);
  }, 120_000);
});

/**
 * Writes the generated mixin files (dashboards/*.json, alerts/rds-leak-alerts.yml,
 * alerts/rds-leak-rules.yml) below the output directory: the current directory, or --out <dir>.
 *
 *   npm run generate                    # regenerate the committed files
 *   node dist/mixin/generate.js --out /tmp/x
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { defaultConfig } from './config.js';
import { renderMixin } from './index.js';

function outDir(argv: readonly string[]): string {
  const i = argv.indexOf('--out');
  if (i >= 0) {
    const dir = argv[i + 1];
    if (!dir) throw new Error('--out needs a directory');
    return resolve(dir);
  }
  return process.cwd();
}

const root = outDir(process.argv.slice(2));
for (const [path, content] of Object.entries(renderMixin(defaultConfig))) {
  const target = join(root, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${target}`);
}

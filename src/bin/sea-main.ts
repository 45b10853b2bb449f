/**
 * Entry point of the single executable (npm run build:exe; see scripts/sea/build-exe.mjs and
 * docs/install-windows.md, "Single executable"). Same CLI as src/bin/cli.ts, without top-level await (the
 * executable runs one CommonJS bundle). The Windows source stays lazily loaded (src/sources/create-source.ts);
 * koffi's addon lookup is mapped by the bundler to the embedded addon (src/sea/native-addon.ts).
 */
import { main } from '../cli/main.js';

void main(process.argv.slice(2)).then((code) => {
  if (code !== null) process.exitCode = code;
});

/**
 * Entry point of the single executable (npm run build:exe; see scripts/sea/build-exe.mjs and
 * docs/install-windows.md, "Single executable"). Same CLI as src/cli.ts, without top-level await (the
 * executable runs one CommonJS bundle). It installs a loader for the Windows source with a literal
 * specifier, so the bundle contains it (still loaded lazily), and extracts koffi's embedded native addon
 * before that module, and with it koffi, is loaded.
 */
import { main } from '../cli/main.js';
import { setWindowsSourceLoader } from '../sources/create-source.js';
import { loadEmbeddedKoffi } from './native-addon.js';

setWindowsSourceLoader(async () => {
  loadEmbeddedKoffi();
  return import('../sources/windows/windows-source.js');
});

main(process.argv.slice(2)).then((code) => {
  if (code !== null) process.exitCode = code;
});

/**
 * The status page's stylesheet, served as a file of its own so a Content-Security-Policy from the web
 * config (style-src 'self') keeps working. Colours meet WCAG AA contrast on white; layout is one column
 * on a phone and two from 1000px on.
 */
export const STATUS_STYLE = `
:root { color-scheme: light; --ink: #1b1b1b; --muted: #4a4a4a; --line: #c8c8c8; --accent: #0b4f8a; --warn-bg: #fff3cd; --warn-line: #8a6d00; --bad: #a40e26; --ok: #1d6b32; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; margin: 0; line-height: 1.4; }
header, main, footer { max-width: 1320px; margin: 0 auto; padding: 0 12px; }
header { padding-top: 8px; }
h1 { font-size: 1.35rem; margin: 0.4em 0 0.2em; }
h2 { font-size: 1.1rem; margin: 0 0 0.5em; }
a { color: var(--accent); }
nav ul { list-style: none; padding: 0; margin: 0.3em 0; display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; }
.banner { background: var(--warn-bg); border: 2px solid var(--warn-line); padding: 0.5em 0.8em; margin: 0.5em 0; }
.status-line { color: var(--muted); margin: 0.2em 0 0.6em; }
.status-line.error { color: var(--bad); font-weight: 600; }
.status-line.error:empty { display: none; }
main { display: grid; grid-template-columns: 1fr; gap: 12px; }
@media (min-width: 1000px) { main { grid-template-columns: 1fr 1fr; } .wide { grid-column: 1 / -1; } }
section { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1em; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.big { font-size: 1.25rem; font-weight: 700; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td ul { margin: 0; padding-left: 1.1em; }
code, .mono { font-family: ui-monospace, Consolas, monospace; font-size: 0.95em; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
figure { margin: 0; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 0.3em; }
svg { width: 100%; height: auto; display: block; }
svg text { font-size: 15px; fill: var(--ink); }
.legend { display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; margin: 0.3em 0 0; padding: 0; list-style: none; font-size: 0.9rem; }
.swatch { display: inline-block; width: 2em; height: 0; border-top: 3px solid; vertical-align: middle; margin-right: 0.4em; }
.swatch.highest { border-color: #0b4f8a; }
.swatch.present { border-color: #b35c00; border-top-style: dashed; }
details { margin-top: 0.4em; }
.empty { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 0.85rem; padding: 12px; }
`;

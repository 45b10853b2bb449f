import { VERSION } from '../version.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page at `/`: what this is, which source feeds it, and where the endpoints are. */
export function landingPage(telemetryPath: string, sourceDescription: string, simulated: boolean): string {
  const banner = simulated
    ? `<p style="background:#fff3cd;border:1px solid #e0c060;padding:.6em"><strong>Simulated farm.</strong> This agent serves a built-in simulated RDS host (${escapeHtml(sourceDescription)}), not a real Windows system.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rds-leak-exporter</title></head>
<body style="font-family:sans-serif;max-width:48em;margin:2em auto">
<h1>rds-leak-exporter ${escapeHtml(VERSION)}</h1>
<p>Leaked access-token handles and zombie logon sessions that stop Windows RDS session ID reuse.</p>
${banner}
<p>Source: <code>${escapeHtml(sourceDescription)}</code></p>
<ul>
<li><a href="${escapeHtml(telemetryPath)}">Metrics</a></li>
<li><a href="/health">Health</a></li>
<li><a href="/version">Version</a></li>
</ul>
</body></html>
`;
}

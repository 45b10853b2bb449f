import { VERSION } from '../../version.js';

/** Where the page's own files are served (no external network: everything comes from the agent). */
export const STATUS_SCRIPT_PATH = '/status/status.js';
export const STATUS_STYLE_PATH = '/status/status.css';
export const ANALYSIS_API_PATH = '/api/v1/analysis';

/** How often the page asks the API again. */
export const STATUS_REFRESH_SECONDS = 10;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface StatusPageOptions {
  readonly telemetryPath: string;
  readonly sourceDescription: string;
  readonly simulated: boolean;
}

/**
 * The page at `/`: a skeleton with the facts the agent knows at start; the script fills in the rest
 * from /api/v1/analysis and again every STATUS_REFRESH_SECONDS, without reloading the page.
 */
export function statusPage(options: StatusPageOptions): string {
  const source = escapeHtml(options.sourceDescription);
  const banner = options.simulated
    ? `<p class="banner" role="note"><strong>Simulated farm.</strong> This agent serves a built-in simulated RDS host (${source}), not a real Windows system.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rds-leak-exporter status</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STATUS_STYLE_PATH}">
<script src="${STATUS_SCRIPT_PATH}" defer></script>
</head>
<body data-api="${ANALYSIS_API_PATH}" data-refresh-seconds="${STATUS_REFRESH_SECONDS}">
<header>
<h1>rds-leak-exporter ${escapeHtml(VERSION)} on <span id="host">this host</span></h1>
${banner}
<p class="status-line" id="status-line">Loading the agent's latest collection&#8230;</p>
<p class="status-line error" id="status-alert" role="alert"></p>
<nav aria-label="Endpoints"><ul>
<li><a href="${escapeHtml(options.telemetryPath)}">Metrics</a></li>
<li><a href="/health">Health</a></li>
<li><a href="/version">Version</a></li>
<li><a href="${ANALYSIS_API_PATH}">Analysis (JSON)</a></li>
</ul></nav>
</header>
<main>
<section aria-labelledby="h-host">
<h2 id="h-host">Host and collection</h2>
<dl class="facts">
<dt>Source</dt><dd id="source">${source}</dd>
<dt>Last collection</dt><dd id="collected-at">not yet</dd>
<dt>Collection took</dt><dd id="collection-duration">&#8211;</dd>
<dt>User names shown</dt><dd id="user-names">&#8211;</dd>
</dl>
<div class="scroll" id="collectors-region" role="region" aria-labelledby="collectors-caption" tabindex="0">
<table id="collectors"><caption id="collectors-caption">Health per collector</caption>
<thead><tr><th scope="col">Collector</th><th scope="col">Health</th><th scope="col" class="num">Seconds</th><th scope="col">Error</th></tr></thead>
<tbody></tbody></table>
</div>
</section>
<section aria-labelledby="h-sessions">
<h2 id="h-sessions">Session IDs</h2>
<dl class="facts">
<dt>Highest session ID</dt><dd class="big" id="highest-session-id">&#8211;</dd>
<dt>Sessions present</dt><dd class="big" id="sessions-present">&#8211;</dd>
<dt>Zombie logon sessions</dt><dd class="big" id="zombie-count">&#8211;</dd>
<dt>Session IDs pinned by zombies</dt><dd id="pinned-session-ids">&#8211;</dd>
<dt>Inside the grace period</dt><dd id="pending-candidates">&#8211;</dd>
<dt>Leaked token handles</dt><dd id="leaked-handles">&#8211;</dd>
</dl>
</section>
<section aria-labelledby="h-leaks">
<h2 id="h-leaks">Leaked token handles per process</h2>
<figure id="leaks-figure"><div id="leaks-chart"></div><figcaption id="leaks-caption"></figcaption>
<details><summary>Leaked token handles per process as a table</summary>
<table id="leaks-table"><caption>Leaked token handles per process</caption>
<thead><tr><th scope="col">Process</th><th scope="col" class="num">Leaked handles</th></tr></thead><tbody></tbody></table>
</details></figure>
</section>
<section aria-labelledby="h-history">
<h2 id="h-history">Highest session ID and sessions present since the agent started</h2>
<figure id="history-figure"><div id="history-chart"></div>
<ul class="legend" aria-hidden="true"><li><span class="swatch highest"></span>Highest session ID</li><li><span class="swatch present"></span>Sessions present</li></ul>
<figcaption id="history-caption"></figcaption></figure>
</section>
<section class="wide" aria-labelledby="h-zombies">
<h2 id="h-zombies">Zombie logon sessions</h2>
<div class="scroll" role="region" aria-labelledby="zombies-caption" tabindex="0">
<table id="zombies"><caption id="zombies-caption">Logon sessions kept alive by token handles after their user logged off</caption>
<thead><tr></tr></thead><tbody></tbody></table>
</div>
<p class="empty" id="zombies-empty" hidden></p>
</section>
</main>
<footer><p>Refreshes every ${STATUS_REFRESH_SECONDS} seconds from <a href="${ANALYSIS_API_PATH}">${ANALYSIS_API_PATH}</a>. Source ${source}.</p></footer>
</body></html>
`;
}

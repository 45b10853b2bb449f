/**
 * The status page's script (served as /status/status.js, no external code): asks /api/v1/analysis,
 * fills in the page with DOM text nodes (never HTML from the data) and draws both charts as SVG, again
 * every data-refresh-seconds. SVG rather than a canvas library: the bars and lines are elements a
 * screen reader can be told about, and the agent's single executable carries no node_modules to serve.
 */
export const STATUS_SCRIPT = String.raw`'use strict';
(function () {
  var SVG = 'http://www.w3.org/2000/svg';
  var body = document.body;
  var api = body.getAttribute('data-api');
  var refreshMs = Number(body.getAttribute('data-refresh-seconds')) * 1000;

  function byId(id) { return document.getElementById(id); }
  function text(id, value) { byId(id).textContent = String(value); }
  function el(name, attrs, content) {
    var node = document.createElement(name);
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }
  function svgEl(name, attrs, content) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs || {}) node.setAttribute(key, String(attrs[key]));
    if (content !== undefined) node.textContent = String(content);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function age(seconds) {
    if (seconds < 120) return Math.round(seconds) + ' s';
    if (seconds < 7200) return Math.round(seconds / 60) + ' min';
    if (seconds < 172800) return (seconds / 3600).toFixed(1) + ' h';
    return (seconds / 86400).toFixed(1) + ' d';
  }
  function time(iso) { return new Date(iso).toLocaleString(); }

  function renderCollectors(doc) {
    var tbody = byId('collectors').tBodies[0];
    clear(tbody);
    (doc.collectors || []).forEach(function (c) {
      var row = el('tr');
      row.appendChild(el('th', { scope: 'row' }, c.name));
      var health = c.success ? 'ok' : c.timedOut ? 'timed out' : 'failed';
      row.appendChild(el('td', { class: c.success ? 'ok' : 'bad' }, health));
      row.appendChild(el('td', { class: 'num' }, c.durationSeconds.toFixed(3)));
      row.appendChild(el('td', null, c.error || ''));
      tbody.appendChild(row);
    });
  }

  function renderZombies(doc) {
    var table = byId('zombies');
    var empty = byId('zombies-empty');
    var names = doc.agent.userNamesIncluded;
    var head = table.tHead.rows[0];
    clear(head);
    var columns = ['Logon ID', 'RDS session', 'Logon type', 'Account kind'].concat(names ? ['User'] : []).concat(['Orphaned for', 'Holders (image, pid, services: handles)', 'Handles']);
    columns.forEach(function (label) { head.appendChild(el('th', { scope: 'col', class: label === 'Handles' || label === 'RDS session' ? 'num' : '' }, label)); });
    var tbody = table.tBodies[0];
    clear(tbody);
    var zombies = doc.zombies;
    if (!zombies) {
      empty.hidden = false;
      empty.textContent = 'Unknown: WTS sessions, logon sessions or processes could not be collected.';
      return;
    }
    empty.hidden = zombies.length > 0;
    empty.textContent = zombies.length > 0 ? '' : 'No zombie logon sessions.';
    zombies.forEach(function (z) {
      var row = el('tr');
      row.appendChild(el('th', { scope: 'row', class: 'mono' }, z.logonId));
      row.appendChild(el('td', { class: 'num' }, z.sessionId));
      row.appendChild(el('td', null, z.logonType));
      row.appendChild(el('td', null, z.accountKind));
      if (names) row.appendChild(el('td', null, z.domain ? z.domain + '\\' + z.user : z.user));
      row.appendChild(el('td', null, z.ageSeconds > 0 ? age(z.ageSeconds) : 'just now'));
      var holders = el('td');
      if (z.holders.length === 0) holders.textContent = doc.tokens ? 'no token handle found' : 'unknown (handles not collected)';
      else {
        var list = el('ul');
        z.holders.forEach(function (h) {
          var services = h.services && h.services.length ? ' (' + h.services.join(', ') + ')' : '';
          list.appendChild(el('li', null, h.image + ' ' + h.pid + services + ': ' + h.handles));
        });
        holders.appendChild(list);
      }
      row.appendChild(holders);
      var total = z.holders.reduce(function (sum, h) { return sum + h.handles; }, 0);
      row.appendChild(el('td', { class: 'num' }, total));
      tbody.appendChild(row);
    });
  }

  function leakRows(doc) {
    if (!doc.tokens) return null;
    return Object.keys(doc.tokens.byProcess)
      .map(function (p) { return { process: p, leaked: doc.tokens.byProcess[p].leaked }; })
      .filter(function (r) { return r.leaked > 0; })
      .sort(function (a, b) { return b.leaked - a.leaked || (a.process < b.process ? -1 : 1); });
  }

  function renderLeaks(doc) {
    var holder = byId('leaks-chart');
    var tbody = byId('leaks-table').tBodies[0];
    clear(holder);
    clear(tbody);
    var rows = leakRows(doc);
    var caption = byId('leaks-caption');
    if (!rows) { caption.textContent = 'Unknown: token handles could not be collected.'; return; }
    if (rows.length === 0) { caption.textContent = 'No leaked token handles.'; return; }
    rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('th', { scope: 'row' }, r.process));
      tr.appendChild(el('td', { class: 'num' }, r.leaked));
      tbody.appendChild(tr);
    });
    var summary = rows.map(function (r) { return r.process + ' ' + r.leaked; }).join(', ');
    caption.textContent = 'Leaked token handles: ' + summary + '.';
    var rowHeight = 28, labelWidth = 180, width = 600, valueWidth = 60;
    var height = rows.length * rowHeight + 8;
    var max = rows[0].leaked;
    var svg = svgEl('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-labelledby': 'leaks-svg-title', id: 'leaks-svg' });
    svg.appendChild(svgEl('title', { id: 'leaks-svg-title' }, 'Bar chart of leaked token handles per process: ' + summary));
    rows.forEach(function (r, i) {
      var y = 4 + i * rowHeight;
      var barWidth = Math.max(2, (width - labelWidth - valueWidth) * r.leaked / max);
      var bar = svgEl('g', { class: 'bar', 'data-process': r.process, 'data-leaked': r.leaked });
      bar.appendChild(svgEl('text', { x: labelWidth - 6, y: y + 19, 'text-anchor': 'end' }, r.process));
      bar.appendChild(svgEl('rect', { x: labelWidth, y: y + 3, width: barWidth, height: rowHeight - 8, fill: '#0b4f8a' }));
      bar.appendChild(svgEl('text', { x: labelWidth + barWidth + 6, y: y + 19 }, r.leaked));
      svg.appendChild(bar);
    });
    holder.appendChild(svg);
  }

  function renderHistory(doc) {
    var holder = byId('history-chart');
    clear(holder);
    var points = doc.history || [];
    var caption = byId('history-caption');
    if (points.length === 0) { caption.textContent = 'No collection with session IDs yet.'; return; }
    var last = points[points.length - 1];
    var peak = points.reduce(function (m, p) { return Math.max(m, p.highestSessionId); }, 0);
    caption.textContent = points.length + ' collection' + (points.length === 1 ? '' : 's') + ' from ' + time(points[0].at) + ' to ' + time(last.at) +
      ': highest session ID now ' + last.highestSessionId + ' (peak ' + peak + '), sessions present now ' + last.present + '.';
    var width = 600, height = 220, left = 44, right = 10, top = 10, bottom = 34;
    var t0 = Date.parse(points[0].at), t1 = Date.parse(last.at);
    var span = Math.max(1, t1 - t0);
    var yMax = Math.max(1, peak, points.reduce(function (m, p) { return Math.max(m, p.present); }, 0));
    function x(p) { return left + (points.length === 1 ? 0 : (Date.parse(p.at) - t0) / span) * (width - left - right); }
    function y(v) { return top + (1 - v / yMax) * (height - top - bottom); }
    var svg = svgEl('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-labelledby': 'history-svg-title', id: 'history-svg' });
    svg.appendChild(svgEl('title', { id: 'history-svg-title' }, 'Line chart. ' + caption.textContent));
    svg.appendChild(svgEl('line', { x1: left, y1: y(0), x2: width - right, y2: y(0), stroke: '#4a4a4a' }));
    svg.appendChild(svgEl('line', { x1: left, y1: top, x2: left, y2: y(0), stroke: '#4a4a4a' }));
    svg.appendChild(svgEl('text', { x: left - 6, y: y(0) + 4, 'text-anchor': 'end' }, 0));
    svg.appendChild(svgEl('text', { x: left - 6, y: y(yMax) + 4, 'text-anchor': 'end' }, yMax));
    svg.appendChild(svgEl('text', { x: left, y: height - 10 }, time(points[0].at)));
    svg.appendChild(svgEl('text', { x: width - right, y: height - 10, 'text-anchor': 'end' }, time(last.at)));
    function line(key, colour, dash) {
      var coords = points.map(function (p) { return x(p).toFixed(1) + ',' + y(p[key]).toFixed(1); });
      if (points.length === 1) coords.push((width - right) + ',' + y(points[0][key]).toFixed(1));
      var attrs = { points: coords.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2.5, class: 'series-' + key };
      if (dash) attrs['stroke-dasharray'] = dash;
      svg.appendChild(svgEl('polyline', attrs));
    }
    line('highestSessionId', '#0b4f8a', null);
    line('present', '#b35c00', '6 4');
    holder.appendChild(svg);
  }

  function render(doc) {
    var agent = doc.agent;
    text('host', agent.host || 'this host');
    text('source', agent.source);
    text('user-names', agent.userNamesIncluded ? 'yes (--metrics.include-user-names)' : 'no (privacy default)');
    var last = agent.lastCollection;
    text('collected-at', doc.collectedAt ? time(doc.collectedAt) + ' (host clock)' : last ? 'failed at ' + time(last.startedAt) : 'not yet');
    text('collection-duration', last ? last.durationSeconds.toFixed(3) + ' s' + (last.error ? ': ' + last.error : '') : '\u2013');
    text('highest-session-id', doc.sessions ? doc.sessions.highestSessionId : 'unknown');
    text('sessions-present', doc.sessions ? doc.sessions.present : 'unknown');
    text('zombie-count', doc.zombies ? doc.zombies.length : 'unknown');
    text('pinned-session-ids', doc.pinnedSessionIds ? (doc.pinnedSessionIds.length ? doc.pinnedSessionIds.join(', ') : 'none') : 'unknown');
    text('pending-candidates', doc.pendingCandidates === undefined ? 'unknown' : doc.pendingCandidates);
    text('leaked-handles', doc.tokens ? doc.tokens.leaked : 'unknown');
    renderCollectors(doc);
    renderZombies(doc);
    renderLeaks(doc);
    renderHistory(doc);
  }

  // The routine "updated" line is not a live region (a screen reader would hear it every few seconds);
  // a failure goes to the alert once, and is cleared when an update works again.
  function status(message, isError) {
    var alert = byId('status-alert');
    if (isError) {
      if (alert.textContent !== message) alert.textContent = message;
    } else {
      alert.textContent = '';
      byId('status-line').textContent = message;
    }
  }

  function refresh() {
    fetch(api, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('the agent answered ' + response.status);
        return response.json();
      })
      .then(function (doc) {
        render(doc);
        body.setAttribute('data-loaded', doc.agent.lastCollection ? doc.agent.lastCollection.startedAt : 'none');
        status('Updated ' + new Date().toLocaleTimeString() + '; next in ' + refreshMs / 1000 + ' s.', false);
      })
      .catch(function (error) { status('Could not update: ' + error.message + '; trying again every ' + refreshMs / 1000 + ' s.', true); })
      .then(function () { setTimeout(refresh, refreshMs); });
  }
  refresh();
})();
`;

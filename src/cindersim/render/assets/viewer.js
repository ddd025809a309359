// cindersim studio viewer: plain JavaScript, no libraries, no network unless live.
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('config').textContent) || {};
  var model = JSON.parse(document.getElementById('model').textContent);
  var lang = cfg.lang === 'vi' ? 'vi' : 'en';
  var mode = 'docs';
  var flowIdx = 0;
  var pos = 0;
  var positions = [];
  var timer = null;
  var COL = 150, ROW = 24, TOP = 46, LEFT = 70;
  var $ = function (id) { return document.getElementById(id); };

  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"]/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c];
    });
  }
  function ui(key) { return (model.ui[lang] || model.ui.en)[key] || key; }
  function tr(v) { return v && typeof v === 'object' ? (v[lang] !== undefined ? v[lang] : v.en) : v; }
  function names() {
    var m = {};
    (model.legend || []).forEach(function (l) { m[l.resource] = l.label; });
    return m;
  }
  function shortName(kind, id) {
    var lbl = names()[kind + ':' + id];
    return lbl ? lbl + ' (' + id.slice(0, 8) + ')' : id.slice(0, 8);
  }
  function idsToNames(text) {
    var m = names();
    return String(text).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, function (u) {
      for (var r in m) { if (r.split(':')[1] === u) { return m[r]; } }
      return u.slice(0, 8) + '…';
    });
  }

  // --- positions: documents' steps, or every event ---------------------------------------
  function flow() { return model.flows[flowIdx]; }
  function computePositions() {
    var f = flow();
    positions = [];
    if (!f) { return; }
    var tagged = f.steps.filter(function (s) { return s.tag; }).length > 0;
    f.steps.forEach(function (s, i) {
      if (!s.events.length) { return; }
      if (mode === 'docs') {
        if (tagged && !s.tag) { return; }
        positions.push({step: i, seqs: s.events, seq: s.events[s.events.length - 1]});
      } else {
        s.events.forEach(function (q) { positions.push({step: i, seqs: [q], seq: q}); });
      }
    });
  }
  function current() { return positions[pos]; }

  // --- the sequence diagram -------------------------------------------------------------------
  function lifelines(f) {
    var used = {};
    f.rows.forEach(function (r) { used[r.src] = 1; used[r.dst] = 1; });
    return model.participants.filter(function (p) { return used[p[0]]; });
  }
  function cut(text, width) {
    var max = Math.max(6, Math.floor(width / 5.6));
    return text.length > max ? text.slice(0, max - 1) + '…' : text;
  }
  function drawDiagram() {
    var f = flow(), svg = $('diagram');
    if (!f) { svg.innerHTML = ''; return; }
    var lines = lifelines(f), x = {};
    var wrap = $('diagram-wrap');
    COL = Math.max(112, Math.min(150, Math.floor(((wrap.clientWidth || 900) - LEFT - 12) / Math.max(1, lines.length))));
    lines.forEach(function (p, i) { x[p[0]] = LEFT + i * COL + COL / 2; });
    var width = LEFT + lines.length * COL + 20;
    var height = TOP + 20 + f.rows.length * ROW + 20;
    var cur = current(), on = {};
    if (cur) { cur.seqs.forEach(function (q) { on[q] = 1; }); }
    var badges = {};
    f.steps.forEach(function (s) {
      if (!s.tag) { return; }
      for (var i = 0; i < f.rows.length; i++) {
        if (s.events.indexOf(f.rows[i].seq) >= 0) {
          if (!badges[i]) { badges[i] = s.tag; }
          break;
        }
      }
    });
    var out = ['<defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#334155"/></marker></defs>'];
    lines.forEach(function (p) {
      out.push('<line class="life" x1="' + x[p[0]] + '" y1="' + TOP + '" x2="' + x[p[0]] + '" y2="' + (height - 10) + '"/>');
      out.push('<g class="head"><rect x="' + (x[p[0]] - COL / 2 + 6) + '" y="8" width="' + (COL - 12) + '" height="26" rx="4"/>' +
               '<text x="' + x[p[0]] + '" y="25" text-anchor="middle">' + esc(p[1]) + '</text></g>');
    });
    f.rows.forEach(function (r, i) {
      var y = TOP + 20 + i * ROW, text = tr({en: r.en, vi: r.vi});
      var cls = 'row' + (r.dashed ? ' dashed' : '') + (on[r.seq] ? ' cur' : '') +
                (r.note && / → /.test(r.en) && /^(volume|snapshot|backup|attachment) /.test(r.en) ? ' db' : '') +
                (/error|failed|NoValidBackend|lỗi/.test(r.en) ? ' err' : '');
      var g = '<g class="' + cls + '" data-seq="' + r.seq + '"><rect class="bg" x="0" y="' + (y - ROW + 6) + '" width="' + width + '" height="' + ROW + '"/>';
      if (r.note) {
        var w = Math.min(COL * 2.4, Math.max(120, text.length * 5.8 + 12));
        g += '<rect class="notebox" x="' + (x[r.src] - w / 2) + '" y="' + (y - 15) + '" width="' + w + '" height="19" rx="3"/>' +
             '<text x="' + x[r.src] + '" y="' + (y - 1) + '" text-anchor="middle">' + esc(cut(text, w)) + '</text>';
      } else {
        var x1 = x[r.src], x2 = x[r.dst], span = Math.abs(x2 - x1) || COL;
        g += '<line x1="' + x1 + '" y1="' + y + '" x2="' + x2 + '" y2="' + y + '" marker-end="url(#ah)"/>' +
             '<text x="' + ((x1 + x2) / 2) + '" y="' + (y - 4) + '" text-anchor="middle">' + esc(cut(text, Math.max(span, COL * 1.8) - 8)) + '</text>';
      }
      if (badges[i]) {
        var bw = 8 + badges[i].length * 6.5;
        g += '<g class="badge"><rect x="4" y="' + (y - 14) + '" width="' + bw + '" height="16" rx="8" fill="#2563eb"/>' +
             '<text x="' + (4 + bw / 2) + '" y="' + (y - 2) + '" text-anchor="middle">' + esc(badges[i]) + '</text></g>';
      }
      out.push(g + '<title>' + esc(text) + '</title></g>');
    });
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.innerHTML = out.join('');
    var first = svg.querySelector('.row.cur');
    if (first && first.scrollIntoView) { first.scrollIntoView({block: 'nearest'}); }
    // bring the current arrow or note into view sideways too (wide flows scroll)
    var curRow = null;
    f.rows.forEach(function (r) { if (!curRow && on[r.seq]) { curRow = r; } });
    if (curRow) {
      var lo = Math.min(x[curRow.src], x[curRow.dst]) - COL, hi = Math.max(x[curRow.src], x[curRow.dst]) + COL;
      if (lo < wrap.scrollLeft || hi > wrap.scrollLeft + wrap.clientWidth) {
        wrap.scrollLeft = Math.max(0, (lo + hi) / 2 - wrap.clientWidth / 2);
      }
    }
  }

  // --- the step card --------------------------------------------------------------------------
  function eventBySeq(q) {
    for (var i = 0; i < model.events.length; i++) { if (model.events[i].seq === q) { return model.events[i]; } }
    return null;
  }
  function drawCard() {
    var f = flow(), cur = current(), h = [];
    if (!f) { $('card').innerHTML = '<p class="empty">' + esc(ui('empty')) + '</p>'; return; }
    h.push('<h2>' + esc(tr(f.title)) + (f.flow ? ' · ' + esc(ui('flow')) + ': ' + esc(f.flow) : '') + '</h2>');
    if (f.sources.length) {
      h.push('<div class="docs"><b>' + esc(ui('docs')) + ':</b> ' + esc(tr(f.docs)) + '<br>' + f.sources.map(function (d) {
        var t = '“' + esc(d.title) + '”' + (d.author ? ' (' + esc(d.author) + ')' : '');
        return d.url ? '<a href="' + esc(d.url) + '">' + t + '</a>' : t;
      }).join(' · ') + '</div>');
    }
    if (cur) {
      var s = f.steps[cur.step];
      h.push('<p>' + (s.tag ? '<span class="tag" title="' + esc(ui('doc_step')) + '">' + esc(s.tag) + '</span>' : '') +
             '<span class="who">' + esc(s.who) + '</span> <span class="msg">' + esc(s.message) + '</span></p>');
      h.push('<p class="meaning' + (s.error ? ' err' : '') + '">' + esc(tr(s.meaning)) + '</p>');
      var ls = tr(s.lines) || [];
      if (ls.length) { h.push('<ul class="lines">' + ls.map(function (l) { return '<li>' + esc(l) + '</li>'; }).join('') + '</ul>'); }
      s.notes.forEach(function (n) { h.push('<div class="note"><b>' + esc(ui('notes')) + ':</b> ' + esc(tr(n)) + '</div>'); });
      if (s.code.length) {
        h.push('<div class="code"><b>' + esc(ui('code')) + ':</b> ' + s.code.map(function (c) {
          return '<a href="' + esc(c.url) + '">' + esc(c.label) + '</a>';
        }).join(' · ') + '</div>');
      }
      var ev = eventBySeq(cur.seq);
      h.push('<div class="legend">' + esc(ui('time')) + ': t=' + (ev ? ev.t.toFixed(3) : '?') + ' s</div>');
      h.push('<div class="legend"><b>' + esc(ui('events')) + ':</b></div><ol class="events">' + s.events.map(function (q) {
        var e = eventBySeq(q);
        return '<li class="' + (cur.seqs.length === 1 && cur.seq === q ? 'cur' : '') + '" value="' + q + '">' +
               esc(e ? e.kind + ' · ' + e.actor + ': ' + idsToNames(e.summary) : q) + '</li>';
      }).join('') + '</ol>');
    }
    if ((model.legend || []).length) {
      h.push('<div class="legend"><b>' + esc(ui('legend')) + ':</b> ' + model.legend.map(function (l) {
        return esc(l.label) + ' = ' + esc(l.resource);
      }).join(' · ') + '</div>');
    }
    $('card').innerHTML = h.join('');
  }

  // --- the state panels -------------------------------------------------------------------------
  function stateAfter(seq) {
    var i = model.state_at[String(seq)];
    return model.states[i === undefined ? 0 : i];
  }
  function previousState() {
    var cur = current();
    if (!cur) { return model.states[0]; }
    var before = cur.seqs[0] - 1;
    while (before >= 0 && model.state_at[String(before)] === undefined) { before--; }
    return before >= 0 ? stateAfter(before) : model.states[0];
  }
  function stCell(v) { return '<td class="st st-' + esc(v) + '">' + esc(v === null ? '∅' : v) + '</td>'; }
  function drawState() {
    var cur = current();
    var st = cur ? stateAfter(cur.seq) : model.states[model.states.length - 1];
    var prev = previousState(), h = [];
    h.push('<h3>' + esc(ui('records')) + '</h3>');
    var rows = [];
    ['volume', 'snapshot', 'backup', 'attachment'].forEach(function (kind) {
      var table = st.records[kind], old = prev.records[kind];
      Object.keys(table).sort().forEach(function (id) {
        var r = table[id], changed = JSON.stringify(r) !== JSON.stringify(old[id]);
        rows.push('<tr class="' + (changed ? 'changed' : '') + '" data-kind="' + kind + '" data-id="' + esc(id) + '"><td>' + kind + '</td><td>' +
                  esc(shortName(kind, id)) + '</td>' + stCell(r.status !== undefined ? r.status : r.attach_status) +
                  '<td class="st">' + esc(kind === 'volume' ? (r.attach_status || '') : (r.volume_id ? shortName('volume', r.volume_id) : '')) + '</td>' +
                  '<td>' + esc(r.size !== undefined ? r.size + ' GiB' : '') + '</td></tr>');
      });
    });
    h.push(rows.length ? '<table id="records"><tr><th>' + esc(ui('kind')) + '</th><th>' + esc(ui('name')) + '</th><th>status</th><th>attach_status / volume</th><th>' + esc(ui('size')) + '</th></tr>' + rows.join('') + '</table>'
                       : '<p class="empty">' + esc(ui('empty')) + '</p>');
    var hosts = Object.keys(st.backends).sort();
    // RBD, NFS and FC backends store images, files and LUNs, not LVs of a volume group.
    var stores = hosts.some(function (host) { return st.backends[host].store; });
    var lvmOnly = hosts.every(function (host) { return !st.backends[host].store; });
    h.push('<h3>' + esc(ui(stores ? 'backends' : 'lvm')) + '</h3>');
    if (!hosts.length) { h.push('<p class="empty">' + esc(ui('empty')) + '</p>'); }
    hosts.forEach(function (host) {
      var be = st.backends[host], oldBe = prev.backends[host] || {lvs: {}};
      var store = be.store;
      h.push('<div><b>' + esc(store ? ui('store_' + store) : (stores ? 'LVM ' : '') + (be.vg || '?')) + '</b> @ ' + esc(host) + '</div>');
      (be.pools || []).forEach(function (p) {
        var used = p.total_capacity_gb ? (p.total_capacity_gb - p.free_capacity_gb) / p.total_capacity_gb : 0;
        h.push('<div>' + esc(ui(store ? 'store_pool' : 'pool')) + ' ' + esc(p.pool_name) + ': ' + esc(p.free_capacity_gb) + ' / ' + esc(p.total_capacity_gb) + ' GiB ' +
               esc(ui('free')) + (p.provisioned_capacity_gb === null || p.provisioned_capacity_gb === undefined ? '' :
               ', ' + esc(ui('provisioned')) + ' ' + esc(p.provisioned_capacity_gb) + ' GiB') +
               ' <span class="empty">(' + esc(ui('reported')) + ' t=' + esc(p.reported_at) + ' s)</span></div>' +
               '<div class="bar"><span style="width:' + Math.round(used * 100) + '%"></span></div>');
      });
      var lvs = Object.keys(be.lvs).sort();
      h.push('<table class="lvs"><tr><th>' + esc(ui('item_' + (store || 'lvm'))) + '</th><th></th><th></th></tr>' + lvs.map(function (n) {
        var lv = be.lvs[n], changed = !oldBe.lvs[n];
        return '<tr class="' + (changed ? 'changed' : '') + '" data-lv="' + esc(n) + '"><td>' + esc(idsToNames(n)) + '</td><td>' + esc(lv.kind) + '</td><td>' + esc(lv.size || '') + '</td></tr>';
      }).join('') + '</table>');
    });
    var iqns = Object.keys(st.targets).sort();
    if (iqns.length || lvmOnly) {  // no iSCSI targets panel for a cloud of RBD/NFS/FC only
    h.push('<h3>' + esc(ui('targets')) + '</h3>');
    h.push(iqns.length ? '<table id="targets"><tr><th>tid</th><th>IQN</th><th>' + esc(ui('chap')) + '</th><th>' + esc(ui('acl')) + '</th><th>' +
                         esc(ui('sessions')) + '</th></tr>' + iqns.map(function (q) {
      var t = st.targets[q], changed = JSON.stringify(t) !== JSON.stringify(prev.targets[q]);
      return '<tr class="' + (changed ? 'changed' : '') + '"><td>' + esc(t.tid) + '</td><td>' + esc(idsToNames(q)) + '</td><td>' + (t.chap_user ? esc(t.chap_user) : '<span class="empty" title="' + esc(ui('unknown_why')) + '">' + esc(ui('unknown')) + '</span>') +
             '</td><td>' + esc(t.acls.join(', ') || '—') + '</td><td>' + esc(t.sessions.join(', ') || '—') + '</td></tr>';
    }).join('') + '</table>' : '<p class="empty">' + esc(ui('none')) + '</p>');
    }
    h.push('<h3>' + esc(ui('bus')) + '</h3>');
    var fl = st.bus.in_flight;
    h.push('<div>' + fl.length + ' ' + esc(ui('in_flight')) + '</div>');
    if (fl.length) {
      h.push('<table id="bus"><tr><th></th><th></th><th></th></tr>' + fl.map(function (m) {
        return '<tr><td>' + esc(m.kind) + '</td><td>' + esc(m.method) + '</td><td>→ ' + esc(m.queue) + '</td></tr>';
      }).join('') + '</table>');
    }
    Object.keys(st.bus.waiting).sort().forEach(function (q) {
      h.push('<div>' + esc(q) + ': ' + esc(st.bus.waiting[q]) + ' ' + esc(ui('waiting')) + '</div>');
    });
    $('state').innerHTML = h.join('');
  }

  // --- controls ---------------------------------------------------------------------------------
  function drawBar() {
    document.documentElement.lang = lang;
    $('title').textContent = model.title;
    $('prev').textContent = '◀ ' + ui('prev');
    $('next').textContent = ui('next') + ' ▶';
    $('play').textContent = timer ? '❚❚ ' + ui('pause') : '▶▶ ' + ui('play');
    $('l-docs').textContent = ui('docs_only');
    $('l-all').textContent = ui('all_events');
    $('mode-docs').checked = mode === 'docs';
    $('mode-all').checked = mode === 'all';
    $('lang-en').className = 'lang' + (lang === 'en' ? ' on' : '');
    $('lang-vi').className = 'lang' + (lang === 'vi' ? ' on' : '');
    $('pos').textContent = positions.length ? ui('step') + ' ' + (pos + 1) + ' ' + ui('of') + ' ' + positions.length : '';
    $('live').textContent = cfg.live ? '● ' + ui('live') : '';
    $('flows').innerHTML = model.flows.map(function (f, i) {
      return '<button type="button" data-flow="' + i + '" class="' + (i === flowIdx ? 'on' : '') + '" title="' + esc(tr(f.title)) + '">' +
             f.n + '. ' + esc(f.flow || f.action || '…') + '</button>';
    }).join('');
  }
  function render() {
    if (!model) { return; }
    drawBar(); drawDiagram(); drawCard(); drawState();
  }
  function go(f, p) {
    flowIdx = Math.max(0, Math.min(model.flows.length - 1, f));
    computePositions();
    pos = Math.max(0, Math.min(positions.length - 1, p));
    render();
  }
  function next() {
    if (pos < positions.length - 1) { go(flowIdx, pos + 1); return true; }
    if (flowIdx < model.flows.length - 1) { go(flowIdx + 1, 0); return true; }
    return false;
  }
  function prev() {
    if (pos > 0) { go(flowIdx, pos - 1); return; }
    if (flowIdx > 0) { flowIdx -= 1; computePositions(); go(flowIdx, positions.length - 1); }
  }
  function play() {
    if (timer) { clearInterval(timer); timer = null; drawBar(); return; }
    timer = setInterval(function () { if (!next()) { clearInterval(timer); timer = null; drawBar(); } }, 1200);
    drawBar();
  }
  function atEnd() { return flowIdx === model.flows.length - 1 && pos >= positions.length - 1; }
  function wire() {
    $('next').onclick = next;
    $('prev').onclick = prev;
    $('play').onclick = play;
    $('mode-docs').onchange = function () { var q = current(); mode = 'docs'; keep(q); };
    $('mode-all').onchange = function () { var q = current(); mode = 'all'; keep(q); };
    $('lang-en').onclick = function () { lang = 'en'; render(); };
    $('lang-vi').onclick = function () { lang = 'vi'; render(); };
    $('flows').onclick = function (e) {
      var b = e.target.closest('button');
      if (b) { go(+b.getAttribute('data-flow'), 0); }
    };
    document.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowRight') { next(); } else if (e.key === 'ArrowLeft') { prev(); }
    });
  }
  function keep(q) {
    computePositions();
    var p = 0;
    if (q) {
      for (var i = 0; i < positions.length; i++) { if (positions[i].seq <= q.seq) { p = i; } }
    }
    go(flowIdx, p);
  }

  // --- live: poll the server for new events ------------------------------------------------------
  function fetchJson(url) { return fetch(url, {cache: 'no-store'}).then(function (r) { return r.json(); }); }
  function reload(follow) {
    return fetchJson('model.json').then(function (m) {
      var wasEnd = !model || !model.flows.length || atEnd();
      model = m;
      if (!model.flows.length) { render(); return; }
      if (follow || wasEnd) { flowIdx = model.flows.length - 1; computePositions(); go(flowIdx, positions.length - 1); }
      else { go(flowIdx, pos); }
    });
  }
  function poll() {
    fetchJson('events?since=' + (model ? model.last_seq + 1 : 0)).then(function (r) {
      if (r.events && r.events.length) { return reload(false); }
      return null;
    }).catch(function () { $('live').textContent = '○ ' + ui('live'); }).then(function () {
      setTimeout(poll, 1000);
    });
  }

  wire();
  if (cfg.live) {
    model = model || {title: 'cindersim', flows: [], participants: [], events: [], states: [], state_at: {}, ui: {en: {}, vi: {}}, last_seq: -1};
    reload(true).then(function () { setTimeout(poll, 1000); });
  } else {
    go(0, 0);
  }
  window.cindersimStudio = {next: next, prev: prev, go: go, state: function () { return {flow: flowIdx, pos: pos, mode: mode, lang: lang, count: positions.length, seq: current() ? current().seq : null}; }};
})();

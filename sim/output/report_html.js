/* painsim report: builds the page from the JSON document #painsim-data and
 * draws the charts with Chart.js (inlined above from Debian's libjs-chart.js).
 *
 * Every chart is a figure element of class "chart" whose data-chart names it.
 * Once drawn, its data-rendered attribute says yes (or empty), data-marks
 * counts the data elements Chart.js laid out and data-ink the coloured pixels
 * in its plot area (a chart whose data are all 0 or off the axes may be
 * "empty", which is not an error).  When the whole page is built, the body's
 * data-status is ok, data-charts counts the charts and data-empty lists the
 * empty ones; an error puts "error: ..." in data-status.  The tests read
 * these attributes. */
(function () {
  'use strict';
  var body = document.body;
  body.dataset.status = 'loading';
  window.addEventListener('error', function (e) {
    body.dataset.status = 'error: ' + (e && e.message ? e.message : 'script error');
  });

  var PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1',
                 '#ff9da7', '#9c755f', '#bab0ac', '#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  var Z = 1.959964; /* 95% normal quantile */

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function finite(x) { return typeof x === 'number' && isFinite(x); }
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  /* a number with a fixed count of decimals and thousands separators; '–' when undefined */
  function fmt(x, d) {
    if (!finite(x)) return '\u2013';
    return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  function pct(x, d) { return finite(x) ? fmt(100 * x, d === undefined ? 1 : d) + '%' : '\u2013'; }

  var D = JSON.parse(document.getElementById('painsim-data').textContent);
  var M = D.meta, cur = M.currency || (D.sweep && D.sweep.currency) || '';
  var root = document.getElementById('report');
  while (root.firstChild) root.removeChild(root.firstChild);
  var charts = [];

  /* ---- Chart.js plugins: error bars, point labels, canvas background ---- */
  var errorBars = {
    id: 'errorBars',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, horiz = chart.options.indexAxis === 'y';
      chart.data.datasets.forEach(function (ds, di) {
        if (!ds.errors) return;
        var meta = chart.getDatasetMeta(di);
        var vs = horiz ? chart.scales.x : chart.scales.y;
        ctx.save();
        ctx.strokeStyle = '#333';
        ctx.lineWidth = 1.2;
        meta.data.forEach(function (bar, i) {
          var v = ds.data[i], e = ds.errors[i];
          if (!finite(v) || !finite(e) || e <= 0) return;
          var a = vs.getPixelForValue(v - Z * e), b = vs.getPixelForValue(v + Z * e), c = horiz ? bar.y : bar.x;
          ctx.beginPath();
          if (horiz) { ctx.moveTo(a, c); ctx.lineTo(b, c); ctx.moveTo(a, c - 4); ctx.lineTo(a, c + 4); ctx.moveTo(b, c - 4); ctx.lineTo(b, c + 4); }
          else { ctx.moveTo(c, a); ctx.lineTo(c, b); ctx.moveTo(c - 4, a); ctx.lineTo(c + 4, a); ctx.moveTo(c - 4, b); ctx.lineTo(c + 4, b); }
          ctx.stroke();
        });
        ctx.restore();
      });
    }
  };
  var pointLabels = {
    id: 'pointLabels',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      chart.data.datasets.forEach(function (ds, di) {
        if (!ds.pointLabel) return;
        var meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        ctx.save();
        ctx.font = '11px sans-serif';
        ctx.fillStyle = '#222';
        meta.data.forEach(function (p) { ctx.fillText(ds.pointLabel, p.x + 6, p.y - 6); });
        ctx.restore();
      });
    }
  };
  var whiteBackground = {
    id: 'whiteBackground',
    beforeDraw: function (chart) {
      var ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    }
  };
  Chart.register(errorBars, pointLabels, whiteBackground);
  Chart.defaults.animation = false;
  Chart.defaults.font.size = 11;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 14;
  Chart.defaults.plugins.legend.labels.filter = function (item, data) {
    return !data.datasets[item.datasetIndex].hideInLegend;
  };

  function axis(title, extra) {
    var a = { type: 'linear', title: { display: true, text: title } };
    if (extra) for (var k in extra) if (Object.prototype.hasOwnProperty.call(extra, k)) a[k] = extra[k];
    return a;
  }

  /* A chart in a figure; counts what it drew. */
  function chart(parent, id, title, config, note) {
    var fig = add(parent, el('figure', { 'class': 'chart', 'data-chart': id, 'data-rendered': 'no' }));
    add(fig, el('figcaption', null, title));
    var box = add(fig, el('div', { 'class': 'box' }));
    var canvas = add(box, el('canvas', { role: 'img', 'aria-label': title }));
    if (note) add(fig, el('p', { 'class': 'note' }, note));
    var c = new Chart(canvas, config);
    c.painsimFigure = fig;
    charts.push(c);
    return c;
  }

  /* After the layout settles: count the laid-out elements and the painted pixels. */
  function measure(c) {
    var marks = 0;
    c.data.datasets.forEach(function (ds, i) {
      var meta = c.getDatasetMeta(i);
      if (meta.hidden) return;
      meta.data.forEach(function (e) { if (e && !e.skip && finite(e.x) && finite(e.y)) marks++; });
    });
    /* ink: coloured pixels inside the plot area (every 4th pixel of every
     * 2nd row); axes, grid lines and text are grey and do not count */
    var cv = c.canvas, ink = 0, a = c.chartArea, r = window.devicePixelRatio || 1;
    if (a && cv.width > 0 && cv.height > 0) {
      var x0 = Math.max(0, Math.floor(a.left * r)), y0 = Math.max(0, Math.floor(a.top * r));
      var w = Math.min(cv.width - x0, Math.ceil((a.right - a.left) * r));
      var h = Math.min(cv.height - y0, Math.ceil((a.bottom - a.top) * r));
      if (w > 0 && h > 0) {
        var px = c.ctx.getImageData(x0, y0, w, h).data;
        for (var y = 0; y < h; y += 2)
          for (var x = 0; x < w; x += 4) {
            var i = 4 * (y * w + x);
            var hi = Math.max(px[i], px[i + 1], px[i + 2]), lo = Math.min(px[i], px[i + 1], px[i + 2]);
            if (px[i + 3] > 0 && hi - lo > 16) ink++;
          }
      }
    }
    var fig = c.painsimFigure;
    fig.dataset.marks = String(marks);
    fig.dataset.ink = String(ink);
    fig.dataset.rendered = marks > 0 && ink > 0 ? 'yes' : 'empty';
  }

  function color(i) { return PALETTE[i % PALETTE.length]; }

  /* mean with a shaded 95% band: three datasets (lower, upper filled to lower, mean) */
  function bandDatasets(label, col, xs, mean, se, scale) {
    scale = scale || 1;
    function pts(f) {
      var out = [];
      for (var i = 0; i < xs.length; i++) {
        var m = mean[i], s = se[i];
        out.push({ x: xs[i], y: finite(m) ? f(m, finite(s) ? s : 0) * scale : null });
      }
      return out;
    }
    return [
      { label: label + ' lower', data: pts(function (m, s) { return m - Z * s; }), borderWidth: 0, pointRadius: 0,
        fill: false, hideInLegend: true, borderColor: 'transparent' },
      { label: label + ' 95% band', data: pts(function (m, s) { return m + Z * s; }), borderWidth: 0, pointRadius: 0,
        fill: '-1', backgroundColor: alpha(col, 0.22), hideInLegend: true, borderColor: 'transparent' },
      { label: label, data: pts(function (m) { return m; }), borderColor: col, backgroundColor: col, borderWidth: 1.8,
        pointRadius: 0, fill: false }
    ];
  }

  /* ---- header and provenance ---- */
  var facts = D.facts || {};
  add(root, el('h1', null, 'painsim report: ' + M.scenario));
  add(root, el('p', { 'class': 'sub' },
    (facts.description ? facts.description + ' \u2014 ' : '') +
    (D.kind === 'psa' ? 'probabilistic sensitivity analysis' : D.kind === 'sweep' ? 'one-way ' + D.sweep.kind :
     'cohort simulation') +
    ', report made ' + M.report_created + ' by painsim ' + M.report_version + '.'));

  var prov = add(root, el('section', { id: 'provenance' }));
  add(prov, el('h2', null, 'Scenario and provenance'));
  var dl = add(prov, el('dl', { 'class': 'prov' }));
  function row(k, v) { add(dl, el('dt', null, k)); add(dl, el('dd', null, v)); }
  row('scenario', M.scenario);
  row('file', M.file);
  row('written by', 'painsim ' + M.painsim_version + ' (model contract v' + M.model_version + '), ' + M.created);
  row('command', M.command_line);
  row('seed', M.seed);
  if (D.kind === 'psa')
    row('iterations \u00d7 patients', fmt(D.psa.iterations, 0) + ' iterations \u00d7 ' +
        fmt(D.psa.patients_per_iteration, 0) + ' patients (' + D.psa.patients + ' patients)');
  else
    row('patients', fmt(M.patients, 0) + (M.block_size > 0 ? ' (blocks of ' + M.block_size + ')' : ''));
  row('horizon', M.horizon_days + ' days (' + fmt(M.horizon_days / 30.44, 1) + ' months)' +
      (M.record_every_days > 0 ? ', trajectories recorded every ' + M.record_every_days + ' day(s)' : ''));
  row('reference strategy', M.reference);
  if (facts.discount_costs !== undefined)
    row('discounting', 'costs ' + pct(facts.discount_costs) + ' a year, QALYs ' + pct(facts.discount_qalys) + ' a year');
  if (facts.utility_u0 !== undefined)
    row('utility', 'u = ' + fmt(facts.utility_u0, 3) + ' ' + (facts.utility_slope < 0 ? '\u2212 ' : '+ ') +
        fmt(Math.abs(facts.utility_slope), 4) + ' \u00d7 VAS (cm), less adverse-event decrements');
  row('currency', cur + ' (every cost; discounted, per patient)');
  row('charts', 'Chart.js 3.9.1 from ' + M.chartjs + ', inlined: this page needs no network');
  var det = add(prov, el('details'));
  add(det, el('summary', null, 'scenario file as read'));
  add(det, el('pre', null, D.scenario_text));
  det = add(prov, el('details'));
  add(det, el('summary', null, 'resolved scenario (every default filled in; `painsim run` accepts it unchanged)'));
  add(det, el('pre', null, D.scenario_resolved));

  function table(parent, heads, rows, cls) {
    var wrap = add(parent, el('div', { 'class': 'scroll' }));
    var t = add(wrap, el('table', cls ? { 'class': cls } : null));
    var tr = add(add(t, el('thead')), el('tr'));
    heads.forEach(function (h) { add(tr, el('th', null, h)); });
    var tb = add(t, el('tbody'));
    rows.forEach(function (r) {
      var tr2 = add(tb, el('tr', r.cls ? { 'class': r.cls } : null));
      r.cells.forEach(function (c) {
        var td = add(tr2, el('td', c && c.cls ? { 'class': c.cls } : null));
        if (c && typeof c === 'object' && c.se !== undefined) {
          td.appendChild(document.createTextNode(c.v + ' '));
          add(td, el('span', { 'class': 'se' }, '(' + c.se + ')'));
        } else td.textContent = c && typeof c === 'object' ? c.v : c;
      });
    });
    return t;
  }
  function est(e, d, scale) {
    scale = scale || 1;
    return { v: fmt(e[0] * scale, d), se: fmt(e[1] * scale, d) };
  }
  /* the middle of the WTP grid: the NMB column of the table */
  function midIndex(w) { return w.length ? Math.floor((w.length - 1) / 2) : -1; }

  function cePlane(parent, id, title, names, dq, dc, frontierNames, cloud, note) {
    var ds = [];
    if (cloud) {
      names.forEach(function (n, i) {
        if (!cloud[n]) return;
        var pts = [];
        for (var k = 0; k < cloud[n].dq.length; k++) pts.push({ x: cloud[n].dq[k], y: cloud[n].dc[k] });
        ds.push({ label: n + ' iterations', data: pts, pointRadius: 1.2, borderWidth: 0,
                  backgroundColor: alpha(color(i), 0.35), hideInLegend: true });
      });
    }
    names.forEach(function (n, i) {
      ds.push({ label: n, data: [{ x: dq[i], y: dc[i] }], pointRadius: 6, pointStyle: 'rectRot',
                backgroundColor: color(i), borderColor: '#222', borderWidth: 1, pointLabel: n });
    });
    var fpts = frontierNames.map(function (n) { var i = names.indexOf(n); return { x: dq[i], y: dc[i] }; });
    ds.push({ type: 'line', label: 'efficient frontier', data: fpts, borderColor: '#222', borderWidth: 1.5,
              borderDash: [6, 3], pointRadius: 0, fill: false });
    return chart(parent, id, title, {
      type: 'scatter', data: { datasets: ds },
      options: { scales: { x: axis('incremental QALYs vs ' + M.reference + ' (QALY per patient)'),
                           y: axis('incremental cost vs ' + M.reference + ' (' + cur + ' per patient)') } }
    }, note);
  }

  /* ---- a cohort file ---- */
  if (D.kind === 'cohort') {
    var R = D.results, W = D.wtp, mid = midIndex(W), names = R.map(function (r) { return r.name; });
    var sec = add(root, el('section', { id: 'results' }));
    add(sec, el('h2', null, 'Results'));
    add(sec, el('p', { 'class': 'sub' }, 'Mean per patient over all ' + fmt(M.patients, 0) +
      ' patients of the cohort, with the Monte Carlo standard error in brackets. Differences against the reference (' +
      M.reference + ') are paired (common random numbers). Response is latent response to the first session among ' +
      'the treated patients who had one.'));
    function rowCls(r) { return (r.name === M.reference ? 'ref ' : '') + (r.on_frontier ? 'front' : ''); }
    add(sec, el('h3', null, 'Outcomes per patient'));
    table(sec, ['strategy', 'treatment', 'treated (patients)', 'first response (% of treated with a session)',
                'sessions (per patient)', 'adverse events (per patient)', 'cost (' + cur + ')', 'QALY'],
      R.map(function (r) {
        return { cls: rowCls(r), cells: [r.name, { v: r.treatment, cls: 'text' }, fmt(r.treated, 0),
          { v: pct(r.first_response[0]), se: pct(r.first_response[1]) }, est(r.sessions, 2),
          fmt(r.adverse_events_per_patient, 3), est(r.cost, 0), est(r.qaly, 4)] };
      }));
    add(sec, el('h3', null, 'Against the reference (' + M.reference + ') and along the frontier'));
    var heads = ['strategy', '\u0394 cost (' + cur + ')', '\u0394 QALY', 'ICER (' + cur + '/QALY)',
                 'sequential ICER (' + cur + '/QALY)', 'status'];
    if (mid >= 0) heads.push('NMB at ' + fmt(W[mid], 0) + ' ' + cur + '/QALY (' + cur + ')');
    table(sec, heads, R.map(function (r) {
      var status = r.on_frontier ? 'on the frontier' : r.dominated === 'none' ? '' : r.dominated + 'ly dominated';
      var cells = [r.name, est(r.delta_cost, 0), est(r.delta_qaly, 4), fmt(r.icer, 0),
        r.seq_status === 'compared' ? fmt(r.seq_icer, 0) + ' vs ' + r.seq_previous :
          r.seq_status === 'first_on_frontier' ? 'first on the frontier' : '\u2013',
        status];
      if (mid >= 0) cells.push({ v: fmt(r.nmb[mid], 0), se: fmt(r.nmb_se[mid], 0) });
      return { cells: cells, cls: rowCls(r) };
    }));
    add(sec, el('p', null, 'Efficient frontier (by increasing cost): ' + D.frontier.join(' \u2192 ') + '.'));

    var cur1 = add(root, el('section', { id: 'curves' }));
    add(cur1, el('h2', null, 'Pain over time'));
    var g = add(cur1, el('div', { 'class': 'charts' }));
    var days = D.daily.days, dsV = [], dsR = [];
    names.forEach(function (n, i) {
      var d = D.daily.strategies[n];
      dsV = dsV.concat(bandDatasets(n, color(i), days, d.mean_vas, d.mean_vas_se));
      dsR = dsR.concat(bandDatasets(n, color(i), days, d.observed_response, d.observed_response_se, 100));
    });
    chart(g, 'mean_vas', 'Mean VAS by day, all patients (cm, 0\u201310)', {
      type: 'line', data: { datasets: dsV },
      options: { scales: { x: axis('day'), y: axis('mean VAS (cm)', { min: 0 }) } }
    }, 'Lines: mean VAS over all patients; shaded: 95% confidence band (mean \u00b1 1.96 SE).');
    chart(g, 'observed_response', 'Observed response by day, treated patients (%)', {
      type: 'line', data: { datasets: dsR },
      options: { scales: { x: axis('day'), y: axis('VAS \u2264 half of baseline (% of treated)', { min: 0, max: 100 }) } }
    }, 'Share of the treated patients whose VAS is at most half their baseline that day; shaded: 95% band.');

    var T = D.trajectories;
    var trs = add(root, el('section', { id: 'trajectories' }));
    add(trs, el('h2', null, 'A sample of patients'));
    if (!T) {
      add(trs, el('p', null, 'This file has no trajectories (output.trajectories: false), so no patient sample is shown.'));
    } else {
      add(trs, el('p', { 'class': 'sub' }, 'The same ' + T.patients.length + ' patients (rows ' +
        T.patients.join(', ') + ' of the cohort) under each strategy: VAS on the recorded days (cm). ' +
        'Common random numbers: a patient\u2019s baseline and noise are the same in every panel.'));
      var g2 = add(trs, el('div', { 'class': 'charts small' }));
      names.forEach(function (n, si) {
        var rows = T.vas[n];
        if (!rows) return;
        var ds = rows.map(function (v, k) {
          var pts = [];
          for (var j = 0; j < v.length; j++) pts.push({ x: T.days[j], y: v[j] });
          return { label: 'patient ' + T.patients[k], data: pts, borderColor: alpha(color(k), 0.8), borderWidth: 1,
                   pointRadius: 0, fill: false };
        });
        chart(g2, 'trajectories_' + si, n + ' (' + R[si].treatment + ')', {
          type: 'line', data: { datasets: ds },
          options: { plugins: { legend: { display: false } },
                     scales: { x: axis('day'), y: axis('VAS (cm)', { min: 0, max: 10 }) } }
        });
      });
    }

    var ec = add(root, el('section', { id: 'economics' }));
    add(ec, el('h2', null, 'Costs, QALYs and the cost-effectiveness plane'));
    var g3 = add(ec, el('div', { 'class': 'charts' }));
    var cols = names.map(function (n, i) { return color(i); });
    chart(g3, 'cost_bars', 'Mean discounted cost per patient (' + cur + ')', {
      type: 'bar', data: { labels: names, datasets: [{ label: 'cost', data: R.map(function (r) { return r.cost[0]; }),
        errors: R.map(function (r) { return r.cost[1]; }), backgroundColor: cols }] },
      options: { plugins: { legend: { display: false } }, scales: { y: axis('cost (' + cur + ' per patient)') } }
    }, 'Whiskers: 95% confidence interval (\u00b1 1.96 Monte Carlo SE).');
    var qs = R.map(function (r) { return r.qaly[0]; }).filter(finite);
    var qmin = Math.min.apply(null, qs), qmax = Math.max.apply(null, qs), pad = Math.max((qmax - qmin) * 0.5, 0.002);
    chart(g3, 'qaly_bars', 'Mean discounted QALYs per patient', {
      type: 'bar', data: { labels: names, datasets: [{ label: 'QALY', data: R.map(function (r) { return r.qaly[0]; }),
        errors: R.map(function (r) { return r.qaly[1]; }), backgroundColor: cols }] },
      options: { plugins: { legend: { display: false } },
                 scales: { y: axis('QALY per patient', { min: Math.max(0, qmin - pad), max: qmax + pad * 0.5 }) } }
    }, 'The axis does not start at 0, so the differences show; whiskers: 95% confidence interval.');
    cePlane(g3, 'ce_plane', 'Cost-effectiveness plane (against ' + M.reference + ')', names,
      R.map(function (r) { return r.delta_qaly[0]; }), R.map(function (r) { return r.delta_cost[0]; }),
      D.frontier, null, 'Dashed: the efficient frontier; the slope between neighbours on it is the sequential ICER.');
  }

  /* ---- a PSA file ---- */
  if (D.kind === 'psa') {
    var P = D.psa, S = P.strategies, PW = P.wtp, pm = midIndex(PW);
    var sp = add(root, el('section', { id: 'results' }));
    add(sp, el('h2', null, 'Results over the PSA iterations'));
    add(sp, el('p', { 'class': 'sub' }, 'Mean over ' + fmt(P.iterations, 0) + ' iterations of the per-iteration ' +
      'mean per patient; in brackets the standard error over the iterations. Differences against ' + P.reference +
      ' are paired within each iteration.'));
    var ph = ['strategy', 'cost (' + cur + ')', 'QALY', '\u0394 cost (' + cur + ')', '\u0394 QALY',
              'ICER of the means (' + cur + '/QALY)', 'status'];
    if (pm >= 0) ph.push('P(cost-effective) at ' + fmt(PW[pm], 0) + ' ' + cur + '/QALY',
                         'expected NMB at ' + fmt(PW[pm], 0) + ' (' + cur + ')');
    table(sp, ph, P.means.map(function (r, i) {
      var onf = P.frontier.indexOf(r.name) >= 0;
      var cells = [r.name, est(r.cost, 0), est(r.qaly, 4), est(r.delta_cost, 0), est(r.delta_qaly, 4),
                   fmt(r.icer, 0), onf ? 'frontier' : P.dominated[i] === 'none' ? '' : P.dominated[i] + 'ly dominated'];
      if (pm >= 0) cells.push(fmt(P.ceac[r.name][pm], 3),
                              { v: fmt(P.expected_nmb[r.name][pm], 0), se: fmt(P.expected_nmb_se[r.name][pm], 0) });
      return { cells: cells, cls: (r.name === P.reference ? 'ref ' : '') + (onf ? 'front' : '') };
    }));
    add(sp, el('h3', null, 'Decision and value of information by willingness to pay'));
    table(sp, ['WTP (' + cur + '/QALY)', 'optimal (max expected NMB)', 'P(cost-effective)',
               'EVPI per patient (' + cur + ')', 'EVPI noise-corrected (' + cur + ')',
               'EVPI population (' + cur + ')'],
      PW.map(function (w, k) {
        return { cells: [fmt(w, 0), P.ceaf_strategy[k], fmt(P.ceaf[k], 3), { v: fmt(P.evpi[k], 1), se: fmt(P.evpi_se[k], 1) },
          { v: fmt(P.evpi_noise_corrected[k], 1), se: fmt(P.evpi_noise_corrected_se[k], 1) },
          P.population_factor > 0 ? fmt(P.evpi[k] * P.population_factor, 0) : '\u2013'] };
      }));

    var se2 = add(root, el('section', { id: 'uncertainty' }));
    add(se2, el('h2', null, 'Uncertainty: PSA cloud, CEAC, CEAF, EVPI and EVPPI'));
    var g4 = add(se2, el('div', { 'class': 'charts' }));
    cePlane(g4, 'psa_cloud', 'PSA cloud on the cost-effectiveness plane (against ' + P.reference + ')', S,
      P.means.map(function (r) { return r.delta_qaly[0]; }), P.means.map(function (r) { return r.delta_cost[0]; }),
      P.frontier, P.cloud, 'Small dots: ' + fmt(P.cloud_shown, 0) + ' of ' + fmt(P.iterations, 0) +
      ' iterations per strategy; diamonds: the means; dashed: the frontier of the means.');
    chart(g4, 'ceac', 'Cost-effectiveness acceptability curves', {
      type: 'line', data: { datasets: S.map(function (n, i) {
        return { label: n, data: PW.map(function (w, k) { return { x: w, y: P.ceac[n][k] }; }), borderColor: color(i),
                 backgroundColor: color(i), borderWidth: 1.8, pointRadius: 2, fill: false };
      }) },
      options: { scales: { x: axis('willingness to pay (' + cur + '/QALY)'),
                           y: axis('probability cost-effective', { min: 0, max: 1 }) } }
    }, 'Share of iterations in which each strategy has the highest net monetary benefit.');
    chart(g4, 'ceaf', 'Cost-effectiveness acceptability frontier', {
      type: 'line', data: { datasets: S.map(function (n, i) {
        return { label: n, data: PW.map(function (w, k) { return { x: w, y: P.ceaf_strategy[k] === n ? P.ceaf[k] : null }; }),
                 borderColor: color(i), backgroundColor: color(i), borderWidth: 2.5, pointRadius: 3, fill: false,
                 spanGaps: false, hideInLegend: P.ceaf_strategy.indexOf(n) < 0 };
      }) },
      options: { scales: { x: axis('willingness to pay (' + cur + '/QALY)'),
                           y: axis('probability that the optimal strategy is cost-effective', { min: 0, max: 1 }) } }
    }, 'At each WTP, the strategy with the highest expected NMB (the decision) and its probability of being cost-effective.');
    chart(g4, 'evpi', 'Expected value of perfect information per patient (' + cur + ')', {
      type: 'line', data: { datasets: bandDatasets('EVPI', color(0), PW, P.evpi, P.evpi_se).concat([
        { label: 'EVPI, patient noise regressed out', data: PW.map(function (w, k) { return { x: w, y: P.evpi_noise_corrected[k] }; }),
          borderColor: color(2), backgroundColor: color(2), borderDash: [5, 3], borderWidth: 1.5, pointRadius: 2, fill: false }]) },
      options: { scales: { x: axis('willingness to pay (' + cur + '/QALY)'), y: axis('EVPI (' + cur + ' per patient)', { min: 0 }) } }
    }, 'Shaded: 95% band (\u00b1 1.96 Monte Carlo SE). ' + (P.population_factor > 0 ?
      'Population EVPI = per-patient EVPI \u00d7 ' + fmt(P.population_factor, 1) + ' (table above).' : ''));

    if (P.evppi.length) {
      var wk = 0;
      P.evpi.forEach(function (v, k) { if (finite(v) && v > P.evpi[wk]) wk = k; });
      var fig = add(se2, el('div', { 'class': 'charts one' }));
      var ctl = el('label', { 'class': 'ctl' }, 'EVPPI at WTP ');
      var sel = add(ctl, el('select', { id: 'evppi-wtp' }));
      PW.forEach(function (w, k) {
        var o = add(sel, el('option', { value: String(k) }, fmt(w, 0) + ' ' + cur + '/QALY'));
        if (k === wk) o.selected = true;
      });
      var evData = function (k) {
        var items = P.evppi.map(function (e) { return { name: (e.group ? 'group ' : '') + e.name, v: e.value[k], se: e.se[k] }; });
        items.sort(function (a, b) { return (finite(b.v) ? b.v : -1) - (finite(a.v) ? a.v : -1); });
        return items.slice(0, 20);
      };
      var it = evData(wk);
      var evMax = function (items) {
        return Math.max.apply(null, items.map(function (e) { return finite(e.v) ? e.v + Z * (finite(e.se) ? e.se : 0) : 0; }).concat([0]));
      };
      var ev = chart(fig, 'evppi', 'Expected value of partial perfect information per patient (' + cur + ')', {
        type: 'bar', data: { labels: it.map(function (e) { return e.name; }), datasets: [{ label: 'EVPPI',
          data: it.map(function (e) { return e.v; }), errors: it.map(function (e) { return e.se; }),
          backgroundColor: it.map(function (e) { return e.name.indexOf('group ') === 0 ? color(1) : color(0); }) }] },
        options: { indexAxis: 'y', plugins: { legend: { display: false } },
                   scales: { x: axis('EVPPI (' + cur + ' per patient)', { min: 0, suggestedMax: evMax(it) }), y: { type: 'category', ticks: { autoSkip: false } } } }
      }, 'Parameters (blue) and declared groups (orange), largest first (at most 20), at the WTP chosen above ' +
         '(first shown: where EVPI peaks). Whiskers: \u00b1 1.96 SE of the regression estimate (Strong, Oakley & Brennan 2014).');
      ev.painsimFigure.insertBefore(ctl, ev.painsimFigure.children[1]);
      ev.canvas.parentNode.style.height = Math.max(330, 24 * it.length + 90) + 'px';
      ev.resize();
      sel.addEventListener('change', function () {
        var items = evData(+sel.value);
        ev.data.labels = items.map(function (e) { return e.name; });
        ev.data.datasets[0].data = items.map(function (e) { return e.v; });
        ev.data.datasets[0].errors = items.map(function (e) { return e.se; });
        ev.options.scales.x.suggestedMax = evMax(items);
        ev.data.datasets[0].backgroundColor = items.map(function (e) { return e.name.indexOf('group ') === 0 ? color(1) : color(0); });
        ev.update();
      });
    }
    add(se2, el('h3', null, 'Parameters given as distributions'));
    table(se2, ['parameter', 'distribution', 'unit'], P.parameters.map(function (p) {
      return { cells: [p.name, { v: p.distribution, cls: 'text' }, p.unit] };
    }));
  }

  /* ---- a sweep or tornado file ---- */
  if (D.kind === 'sweep') {
    var Q = D.sweep, QS = Q.strategies, K = Q.point_value.length;
    var oi = QS.indexOf(Q.outcome_strategy), ri = QS.indexOf(Q.reference);
    var isT = Q.kind === 'tornado';
    var sw = add(root, el('section', { id: 'results' }));
    add(sw, el('h2', null, isT ? 'Tornado: one parameter at a time' : 'One-way sweep of ' + Q.parameters.join(', ')));
    add(sw, el('p', { 'class': 'sub' }, 'Each point is a whole cohort run with the same seed and patients (common ' +
      'random numbers), so the points differ only through the parameter. Incremental figures are against ' +
      Q.reference + '; NMB at ' + fmt(Q.wtp, 0) + ' ' + cur + '/QALY; in brackets the Monte Carlo SE.'));
    /* the best strategy by NMB at each point */
    function best(k) {
      var b = 0;
      for (var s2 = 1; s2 < QS.length; s2++) if (finite(Q.nmb[k][s2]) && !(Q.nmb[k][s2] <= Q.nmb[k][b])) b = s2;
      return QS[b];
    }
    function pname(k) { var p = Q.point_parameter[k]; return p < 0 ? '(base case)' : Q.parameters[p]; }
    table(sw, ['point', 'parameter', 'level', 'value', '\u0394 cost ' + Q.outcome_strategy + ' (' + cur + ')',
               '\u0394 QALY ' + Q.outcome_strategy, 'ICER ' + Q.outcome_strategy + ' (' + cur + '/QALY)',
               'incremental NMB ' + Q.outcome_strategy + ' (' + cur + ')', 'highest NMB'],
      Q.point_value.map(function (v, k) {
        var p = Q.point_parameter[k];
        return { cls: p < 0 ? 'ref' : '', cells: [String(k), { v: pname(k), cls: 'text' }, Q.point_level[k],
          finite(v) ? fmt(v, Math.abs(v) >= 100 ? 0 : 4) + (p >= 0 && Q.parameter_units[p] ? ' ' + Q.parameter_units[p] : '') : '\u2013',
          { v: fmt(Q.delta_cost[k][oi], 0), se: fmt(Q.delta_cost_se[k][oi], 0) },
          { v: fmt(Q.delta_qaly[k][oi], 4), se: fmt(Q.delta_qaly_se[k][oi], 4) }, fmt(Q.icer[k][oi], 0),
          { v: fmt(Q.incremental_nmb[k][oi], 0), se: fmt(Q.incremental_nmb_se[k][oi], 0) }, best(k)] };
      }));
    var gq = add(sw, el('div', { 'class': 'charts' + (isT ? ' one' : '') }));
    if (isT) {
      var base = Q.incremental_nmb[0][oi], bars = [];
      Q.parameters.forEach(function (name, p) {
        var lo = -1, hi = -1;
        for (var k = 0; k < K; k++) if (Q.point_parameter[k] === p) { if (Q.point_level[k] === 'low') lo = k; if (Q.point_level[k] === 'high') hi = k; }
        if (lo < 0 || hi < 0) return;
        var a = Q.incremental_nmb[lo][oi], b = Q.incremental_nmb[hi][oi];
        bars.push({ name: name, lo: a, hi: b, width: Math.abs(b - a), p: p });
      });
      bars.sort(function (x, y) { return y.width - x.width; });
      var tl = bars.map(function (b) {
        return b.name + ' [' + fmt(Q.parameter_low[b.p], 3) + ', ' + fmt(Q.parameter_high[b.p], 3) + ']';
      });
      var tc = chart(gq, 'tornado', 'Tornado: incremental NMB of ' + Q.outcome_strategy + ' against ' + Q.reference +
        ' at ' + fmt(Q.wtp, 0) + ' ' + cur + '/QALY', {
        type: 'bar', data: { labels: tl, datasets: [
          { label: 'parameter at its low value', data: bars.map(function (b) { return [base, b.lo]; }), backgroundColor: alpha(color(0), 0.85), grouped: false },
          { label: 'parameter at its high value', data: bars.map(function (b) { return [base, b.hi]; }), backgroundColor: alpha(color(1), 0.85), grouped: false },
          { type: 'line', label: 'base case', data: bars.map(function () { return base; }), borderColor: '#222',
            borderDash: [4, 3], borderWidth: 1.5, pointRadius: 0, fill: false, indexAxis: 'y' }] },
        options: { indexAxis: 'y', scales: { x: axis('incremental NMB (' + cur + ' per patient)', { beginAtZero: false, grace: '5%' }),
                                              y: { type: 'category', ticks: { autoSkip: false } } } }
      }, 'Bars from the base case (' + fmt(base, 0) + ' ' + cur + ') to the incremental NMB with the parameter at its low ' +
         '(blue) and high (orange) value, widest first; the low and high values are in brackets.');
      tc.canvas.parentNode.style.height = Math.max(330, 26 * bars.length + 110) + 'px';
      tc.resize();
      add(sw, el('h3', null, 'Where the low and high values come from'));
      table(sw, ['parameter', 'base', 'low', 'high', 'unit', 'bounds'], Q.parameters.map(function (n, p) {
        return { cells: [n, fmt(Q.parameter_base[p], 4), fmt(Q.parameter_low[p], 4), fmt(Q.parameter_high[p], 4),
                         Q.parameter_units[p], { v: Q.parameter_bounds[p], cls: 'text' }] };
      }));
    } else {
      var xs = Q.point_value, xl = Q.parameters[0] + (Q.parameter_units[0] ? ' (' + Q.parameter_units[0] + ')' : '');
      var dsN = [], dsC = [];
      QS.forEach(function (n, si) {
        if (si === ri) return;
        dsN = dsN.concat(bandDatasets(n, color(si), xs, Q.incremental_nmb.map(function (r) { return r[si]; }),
                                      Q.incremental_nmb_se.map(function (r) { return r[si]; })));
      });
      QS.forEach(function (n, si) {
        dsC.push({ label: n, data: xs.map(function (x, k) { return { x: Q.qaly[k][si], y: Q.cost[k][si] }; }),
                   borderColor: color(si), backgroundColor: color(si), showLine: true, pointRadius: 3, borderWidth: 1.5 });
      });
      chart(gq, 'sweep_inmb', 'Incremental NMB against ' + Q.reference + ' at ' + fmt(Q.wtp, 0) + ' ' + cur + '/QALY', {
        type: 'line', data: { datasets: dsN },
        options: { scales: { x: axis(xl), y: axis('incremental NMB (' + cur + ' per patient)') } }
      }, 'Shaded: 95% band (\u00b1 1.96 Monte Carlo SE). Above 0: better than ' + Q.reference + ' at this WTP.');
      chart(gq, 'sweep_plane', 'Mean cost and QALYs along the sweep', {
        type: 'scatter', data: { datasets: dsC },
        options: { scales: { x: axis('QALY per patient'), y: axis('cost (' + cur + ' per patient)') } }
      }, 'Each strategy\u2019s path through the cost-QALY plane as ' + Q.parameters[0] + ' goes from ' +
         fmt(Q.parameter_low[0], 3) + ' to ' + fmt(Q.parameter_high[0], 3) + '.');
      if (Q.days.length && Q.mean_vas) {
        var dl2 = Q.days.length - 1, dsV2 = [];
        QS.forEach(function (n, si) {
          dsV2 = dsV2.concat(bandDatasets(n, color(si), xs, Q.mean_vas.map(function (r) { return r[si][dl2]; }),
                                          Q.mean_vas_se.map(function (r) { return r[si][dl2]; })));
        });
        chart(gq, 'sweep_vas', 'Mean VAS on day ' + Q.days[dl2] + ' (cm)', {
          type: 'line', data: { datasets: dsV2 }, options: { scales: { x: axis(xl), y: axis('mean VAS (cm)', { min: 0 }) } }
        }, 'Shaded: 95% band.');
      }
    }
  }

  /* ---- CHEERS 2022 ---- */
  var ch = add(root, el('section', { id: 'cheers' }));
  add(ch, el('h2', null, 'CHEERS 2022: what this report supports'));
  add(ch, el('p', { 'class': 'sub' }, 'Items of the CHEERS 2022 checklist (Husereau et al., Value Health 2022;25:3\u201310) ' +
    'that the figures and tables above support. \u201cauthor\u201d items need text the simulation cannot supply.'));
  var psa = D.kind === 'psa', sweepK = D.kind === 'sweep' ? D.sweep.kind : '';
  var items = [
    [1, 'Title', 'author', 'Name the evaluation and the strategies compared (listed under Results).'],
    [2, 'Abstract', 'author', ''],
    [3, 'Background and objectives', 'author', facts.description ? 'Scenario description: ' + facts.description : ''],
    [4, 'Health economic analysis plan', 'author', 'The scenario file (provenance) is a machine-readable plan of the analysis.'],
    [5, 'Study population', 'partial', 'The cohort distributions (baseline VAS, pain duration, levels, contraindications) in the resolved scenario; eligibility counts in the results.'],
    [6, 'Setting and location', 'author', ''],
    [7, 'Comparators', 'yes', 'Strategies with their treatment and schedule: Results table and the resolved scenario.'],
    [8, 'Perspective', 'partial', 'Costs included: drug, sessions and adverse events (healthcare payer); state the perspective.'],
    [9, 'Time horizon', 'yes', M.horizon_days + ' days (' + fmt(M.horizon_days / 30.44, 1) + ' months).'],
    [10, 'Discount rate', facts.discount_costs !== undefined ? 'yes' : 'partial', facts.discount_costs !== undefined ?
      'Costs ' + pct(facts.discount_costs) + ', QALYs ' + pct(facts.discount_qalys) + ' a year (the reason is the author\u2019s).' : 'In the resolved scenario.'],
    [11, 'Selection of outcomes', 'yes', 'QALYs; pain (VAS, cm) and observed response (VAS \u2264 half of baseline); adverse events.'],
    [12, 'Measurement of outcomes', psa || sweepK ? 'partial' : 'yes', psa ? 'Per-iteration means of cost and QALYs.' :
      sweepK ? 'Mean cost, QALYs and VAS at each point.' :
      'Mean VAS and observed-response curves with 95% bands; a sample of patient trajectories.'],
    [13, 'Valuation of outcomes', 'partial', facts.utility_u0 !== undefined ? 'Utility u = ' + fmt(facts.utility_u0, 3) +
      ' + (' + fmt(facts.utility_slope, 4) + ') \u00d7 VAS, minus adverse-event decrements (sources marked in the scenario).' : 'Utility mapping in the resolved scenario.'],
    [14, 'Measurement and valuation of resources and costs', 'partial', 'Price model, session and adverse-event costs in the resolved scenario; mean cost per patient in the results.'],
    [15, 'Currency, price date, and conversion', 'partial', 'Currency ' + cur + '; give the price year and any conversion.'],
    [16, 'Rationale and description of model', 'partial', 'Patient-level Monte Carlo model, painsim ' + M.painsim_version +
      ', model contract v' + M.model_version + ' (docs/model.md); the scenario file and its resolved form above.'],
    [17, 'Analytics and assumptions', 'yes', 'Seed ' + M.seed + '; ' + (psa ? fmt(D.psa.iterations, 0) + ' iterations of ' +
      fmt(D.psa.patients_per_iteration, 0) + ' patients' : fmt(M.patients, 0) + ' patients') +
      '; every estimate with its Monte Carlo SE; common random numbers across strategies' + (sweepK ? ' and points' : '') +
      '; the exact command line.'],
    [18, 'Characterizing heterogeneity', psa || sweepK ? 'no' : 'partial', psa || sweepK ? '' : 'Patient trajectories under each strategy; eligibility and treated counts.'],
    [19, 'Characterizing distributional effects', 'no', ''],
    [20, 'Characterizing uncertainty', psa || sweepK ? 'yes' : 'partial', psa ?
      'PSA over ' + D.psa.parameters.length + ' parameter column(s): cloud, CEAC, CEAF, EVPI, EVPPI; Monte Carlo SEs.' :
      sweepK === 'tornado' ? 'Deterministic one-way sensitivity analysis of ' + D.sweep.parameters.length + ' parameter(s): the tornado.' :
      sweepK ? 'One-way sweep of ' + D.sweep.parameters.join(', ') + '.' :
      'Monte Carlo SEs and 95% bands; parameter uncertainty needs a PSA run (psa.iterations).'],
    [21, 'Approach to engagement with patients and others affected by the study', 'author', ''],
    [22, 'Study parameters', 'yes', 'Every parameter with its value in the resolved scenario' +
      (psa ? ', and the distributions of the uncertain ones (table above).' : '.')],
    [23, 'Summary of main results', 'yes', 'Results table: mean costs and QALYs, incremental figures, ICERs, sequential ICERs, NMB, the frontier and the CE plane.'],
    [24, 'Effect of uncertainty', psa || sweepK ? 'yes' : 'partial', psa ? 'CEAC, CEAF, EVPI and EVPPI by WTP.' :
      sweepK ? 'Incremental NMB and the best strategy at each point of the ' + sweepK + '.' : 'Standard errors of every incremental figure.'],
    [25, 'Effect of engagement with patients and others affected by the study', 'author', ''],
    [26, 'Study findings, limitations, generalizability, and current knowledge', 'author', ''],
    [27, 'Source of funding', 'author', ''],
    [28, 'Conflicts of interest', 'author', '']
  ];
  var lab = { yes: ['shown', 'ok'], partial: ['partly shown', 'part'], no: ['not shown', 'no'], author: ['author', 'no'] };
  table(ch, ['item', 'topic', 'in this report', 'where / what'], items.map(function (x) {
    return { cells: [String(x[0]), { v: x[1], cls: 'text' }, { v: lab[x[2]][0], cls: 'status ' + lab[x[2]][1] },
                     { v: x[3], cls: 'text' }] };
  }), 'cheers');

  charts.forEach(measure);
  body.dataset.charts = String(charts.length);
  var empty = charts.filter(function (c) { return c.painsimFigure.dataset.rendered !== 'yes'; });
  body.dataset.empty = empty.map(function (c) { return c.painsimFigure.dataset.chart; }).join(' ');
  if (body.dataset.status === 'loading') body.dataset.status = 'ok';
})();

/* The report page's charts, drawn by dygraphs from the page's own data
 * (the JSON in the report-data element): phases are bands drawn by
 * underlayCallback, faults are annotations, breaker states a step plot.
 * Each chart's div gets data-points (values drawn) once dygraphs drew it,
 * or data-missing and a sentence where there is nothing to draw. A run
 * of several clients has a chart a client in each panel (chart-ID-K,
 * data-client its name), each drawn from that client's samples. */
(function () {
	'use strict';
	var started = Date.now();
	var D = JSON.parse(document.getElementById('report-data').textContent);
	var S = D.series || null;
	var all = (S && S.samples) || [];
	var clients = (S && S.meta && S.meta.clients) || [];
	var phases = (S && S.phases) || [];
	var faults = (S && S.faults) || [];
	var servers = (S && S.meta && S.meta.servers) || [];
	var BAND = { stabilization: 'rgba(90,170,90,0.13)',
		testing: 'rgba(230,100,80,0.16)',
		recovery: 'rgba(80,130,230,0.13)' };
	var STATE = ['closed', 'half-open', 'open'];

	function num(v) {
		return typeof v === 'number' && isFinite(v) ? v : null;
	}
	function missing(id, why) {
		var div = document.getElementById('chart-' + id);
		div.className += ' missing';
		div.setAttribute('data-missing', '1');
		div.textContent = why;
	}
	function noSeries() {
		return S ? 'This run recorded no samples yet.' :
			'No time series for this run: ' + (D.series_why ||
			'it was not recorded') + '.';
	}
	/* The samples of client `name`; of the first when the page has
	 * one chart a panel (name null). */
	function samplesOf(name) {
		var out = [], want = name === null ? clients[0] : name;
		for (var i = 0; i < all.length; i++)
			if (want === undefined || all[i].client === want)
				out.push(all[i]);
		return out;
	}
	function bands(ctx, area, g) {
		var end = g.xAxisExtremes()[1];
		for (var i = 0; i < phases.length; i++) {
			var p = phases[i], c = BAND[p.phase];
			if (!c)
				continue;
			var to = i + 1 < phases.length ? phases[i + 1].t : end;
			var l = g.toDomXCoord(p.t), r = g.toDomXCoord(to);
			ctx.fillStyle = c;
			ctx.fillRect(l, area.y, r - l, area.h);
		}
	}
	/* An annotation sits on a data point: the sample nearest the
	 * fault's time. */
	function notes(label, rows) {
		var out = [];
		for (var i = 0; i < faults.length; i++) {
			var f = faults[i], best = null;
			for (var j = 0; j < rows.length; j++)
				if (best === null || Math.abs(rows[j][0] - f.t) <
				    Math.abs(best - f.t))
					best = rows[j][0];
			if (best === null)
				continue;
			out.push({ series: label, x: best,
				shortText: f.action === 'apply' ? '+' : '-',
				text: f.action + ' ' + f.fault + ' on ' + f.target +
				    (f.detail ? ' (' + f.detail + ')' : '') +
				    ' at ' + f.t + ' s' +
				    (f.error ? ': failed, ' + f.error : ''),
				cssClass: 'fault-' + (f.action === 'apply' ?
				    'apply' : 'remove') });
		}
		return out;
	}
	function count(rows) {
		var n = 0;
		for (var i = 0; i < rows.length; i++)
			for (var j = 1; j < rows[i].length; j++)
				if (rows[i][j] !== null)
					n++;
		return n;
	}
	/* rows: [[x, y1, y2...]...]; nothing drawn when no y is known. */
	function chart(id, labels, rows, opts, why, timeline) {
		var div = document.getElementById('chart-' + id), n = count(rows);
		if (!window.Dygraph) {
			missing(id, 'No chart: the charting library was not ' +
			    'inlined in this page.');
			return;
		}
		if (n === 0) {
			missing(id, why);
			return;
		}
		/* The legend below the chart, never over the lines. */
		var leg = document.createElement('div');
		leg.className = 'legend';
		div.parentNode.insertBefore(leg, div.nextSibling);
		opts.labels = labels;
		opts.labelsDiv = leg;
		opts.labelsSeparateLines = false;
		opts.legend = 'always';
		opts.connectSeparatedPoints = false;
		if (timeline) {
			opts.underlayCallback = bands;
			opts.xlabel = 's since the run started';
		}
		opts.drawCallback = function (g, first) {
			div.setAttribute('data-points', String(n));
		};
		var g = new Dygraph(div, rows, opts);
		if (timeline)
			g.ready(function () {
				g.setAnnotations(notes(labels[1], rows));
			});
	}
	function perServer(samples, key, scale) {
		var rows = [];
		for (var i = 0; i < samples.length; i++) {
			var s = samples[i], row = [s.t];
			for (var j = 0; j < servers.length; j++) {
				var v = s.s && s.s[servers[j]] ?
				    num(s.s[servers[j]][key]) : null;
				row.push(v === null ? null : v * (scale || 1));
			}
			rows.push(row);
		}
		return rows;
	}

	/* One client's charts: sfx is '' (a chart a panel) or '-K'. */
	function drawClient(sfx, samples) {
		var rows = [], i, j, row, s, lat, labels;
		for (i = 0; i < samples.length; i++)
			rows.push([samples[i].t, num(samples[i].ops),
			    num(samples[i].err) === null ? null :
			    samples[i].err * 100]);
		chart('ops' + sfx, ['t', 'ops/s', 'error %'], rows, {
			series: { 'error %': { axis: 'y2' } },
			axes: { y2: { valueRange: [0, 100],
				independentTicks: true } },
			ylabel: 'ops/s', y2label: 'error %' }, noSeries(), true);

		var kinds = ['timeout', 'connection', 'server', 'circuit_open',
			'pool', 'other'];
		rows = [];
		for (i = 0; i < samples.length; i++) {
			var ek = samples[i].ek || {};
			row = [samples[i].t];
			for (j = 0; j < kinds.length; j++)
				row.push(num(ek[kinds[j]]));
			rows.push(row);
		}
		chart('errkind' + sfx, ['t'].concat(kinds), rows,
		    { stackedGraph: true, ylabel: 'errors/s' }, S ? 'The ' +
		    'client exports no errors by kind.' : noSeries(), true);

		lat = [];
		labels = ['t'];
		for (j = 0; j < servers.length; j++)
			labels.push(servers[j] + ' p50', servers[j] + ' p99');
		for (i = 0; i < samples.length; i++) {
			s = samples[i];
			var r = [s.t];
			for (j = 0; j < servers.length; j++) {
				var x = s.s && s.s[servers[j]] || {};
				r.push(num(x.p50), num(x.p99));
			}
			lat.push(r);
		}
		chart('latency' + sfx, labels, lat,
		    { ylabel: 'ms', logscale: true }, S ? 'No latency: the ' +
		    'client exports no histograms, or did no operation.' :
		    noSeries(), true);

		/* A small offset per server, so equal states do not hide each
		 * other; the legend says the state. */
		rows = perServer(samples, 'br');
		for (i = 0; i < rows.length; i++)
			for (j = 1; j < rows[i].length; j++)
				if (rows[i][j] !== null)
					rows[i][j] += (j - 1) * 0.04;
		chart('breaker' + sfx, ['t'].concat(servers), rows, {
			stepPlot: true, strokeWidth: 2, valueRange: [-0.2, 2.4],
			axes: { y: {
				ticker: function () {
					return [{ v: 0, label: 'closed' },
					    { v: 1, label: 'half-open' },
					    { v: 2, label: 'open' }];
				},
				valueFormatter: function (v) {
					return STATE[Math.round(v)] ||
					    String(v);
				} } } },
		    S ? 'The client exports no breaker state (it has no ' +
		    'circuit breakers).' : noSeries(), true);

		chart('pool' + sfx, ['t'].concat(servers),
		    perServer(samples, 'pool'), { ylabel: 'connections' },
		    S ? 'The client exports no pool figures.' : noSeries(), true);

		rows = [];
		for (i = 0; i < samples.length; i++)
			rows.push([samples[i].t, num(samples[i].integ)]);
		chart('integrity' + sfx, ['t', 'integrity errors/s'], rows,
		    { ylabel: 'errors/s', includeZero: true }, S ? 'The ' +
		    'client exports no integrity checks.' : noSeries(), true);
	}
	var divs = document.querySelectorAll('#panel-ops .chart');
	for (var d = 0; d < divs.length; d++)
		drawClient(divs[d].id.slice('chart-ops'.length),
		    samplesOf(divs[d].getAttribute('data-client')));

	/* The history: one point per run of this scenario. */
	var H = D.history || [], names = [], seen = {}, i, j, rows, labels;
	for (i = 0; i < H.length; i++)
		for (var k in H[i].time_to_open_s || {})
			if (!seen[k]) {
				seen[k] = 1;
				names.push(k);
			}
	names.sort();
	rows = [];
	for (i = 0; i < H.length; i++) {
		var h = H[i], when = num(h.started);
		if (when === null)
			continue;
		var hr = [new Date(when * 1000)];
		for (j = 0; j < names.length; j++)
			hr.push(num((h.time_to_open_s || {})[names[j]]));
		hr.push(num(h.time_to_recover_s));
		rows.push(hr);
	}
	labels = ['run'];
	for (j = 0; j < names.length; j++)
		labels.push('time to open ' + names[j]);
	labels.push('time to recover');
	chart('history', labels, rows, { drawPoints: true, pointSize: 3,
		ylabel: 's', includeZero: true }, H.length ? 'No run of this ' +
	    'scenario has a time to open or to recover.' :
	    'No finished run of this scenario yet.', false);
	/* How long drawing took, for whoever measures the page. */
	document.body.setAttribute('data-draw-ms', String(Date.now() - started));
})();

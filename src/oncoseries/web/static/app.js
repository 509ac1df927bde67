/* oncoseries web: drag-and-drop upload, run progress, interactive Kaplan-Meier. No framework, no CDN. */
(function () {
  "use strict";

  function fmt(x, d) { return (x === null || x === undefined) ? "NR" : Number(x).toFixed(d); }

  /* Upload: drop files on the zone -> they become the file input's files; list what was chosen. */
  var drop = document.getElementById("drop");
  var input = document.getElementById("files");
  var chosen = document.getElementById("chosen");
  function listFiles() {
    if (!chosen || !input) return;
    chosen.textContent = "";
    Array.prototype.forEach.call(input.files, function (f) {
      var li = document.createElement("li");
      li.textContent = f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KB)";
      chosen.appendChild(li);
    });
  }
  if (drop && input) {
    ["dragenter", "dragover"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; listFiles(); }
    });
    input.addEventListener("change", listFiles);
  }

  /* Run progress: poll the status until the run is done or failed, then show the result page. */
  var card = document.getElementById("progress-card");
  if (card) {
    var url = card.getAttribute("data-status-url");
    var bar = document.getElementById("progress");
    var text = document.getElementById("progress-text");
    var tick = function () {
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
        if (s.status === "done" || s.status === "failed") { window.location.reload(); return; }
        bar.value = s.progress;
        text.textContent = (s.status === "queued" ? "Waiting for a free worker" : "Analysing") +
          " (" + Math.round(s.progress * 100) + "%)";
        setTimeout(tick, 1000);
      }).catch(function () { setTimeout(tick, 3000); });
    };
    setTimeout(tick, 700);
  }

  /* Interactive Kaplan-Meier: curves by a chosen covariate, values on hover, numbers at risk below. */
  var km = document.getElementById("km-section");
  if (km) {
    var ep = document.getElementById("km-endpoint");
    var by = document.getElementById("km-by");
    var DASH = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash"];
    var COLOURS = ["#1b4f9c", "#c0392b", "#1e8449", "#7d3c98", "#b9770e", "#117a65", "#5d6d7e", "#943126"];
    var draw = function () {
      var q = "?endpoint=" + encodeURIComponent(ep.value) + "&by=" + encodeURIComponent(by.value);
      fetch(km.getAttribute("data-km-url") + q, {credentials: "same-origin"}).then(function (r) {
        return r.json().then(function (d) { return {ok: r.ok, d: d}; });
      }).then(function (res) {
        var note = document.getElementById("km-note");
        if (!res.ok) { note.textContent = res.d.detail || "These curves cannot be drawn."; return; }
        var d = res.d, traces = [];
        d.groups.forEach(function (g, i) {
          var label = d.by ? d.by + " = " + g.name : "All patients";
          var hover = g.x.map(function (x, j) {
            return label + "<br>" + fmt(x, 1) + " " + d.unit + ": " + (100 * g.y[j]).toFixed(1) + "% (95% CI " +
              (100 * g.lo[j]).toFixed(1) + "-" + (100 * g.hi[j]).toFixed(1) + ")<br>at risk: " + g.at_risk[j];
          });
          traces.push({x: g.x, y: g.y, text: hover, hoverinfo: "text", mode: "lines", name: label,
                       line: {shape: "hv", width: 2.5, color: COLOURS[i % 8], dash: DASH[i % 8]}, legendgroup: label});
          traces.push({x: g.censor_x, y: g.censor_y, mode: "markers", name: label + " (censored)", showlegend: false,
                       hoverinfo: "skip", marker: {symbol: "line-ns-open", size: 9, color: COLOURS[i % 8]},
                       legendgroup: label});
        });
        var layout = {margin: {l: 60, r: 10, t: 10, b: 50}, hovermode: "closest",
                      xaxis: {title: {text: "Time (" + d.unit + ")"}, rangemode: "tozero", tickvals: d.risk_times},
                      yaxis: {title: {text: "Survival probability"}, range: [0, 1.02], tickformat: ".0%"},
                      legend: {orientation: "h", y: -0.25}};
        if (window.Plotly) {
          window.Plotly.react("km-plot", traces, layout, {responsive: true, displaylogo: false});
        }
        var med = document.getElementById("km-medians");
        med.tHead.innerHTML = "<tr><th scope='col'>Group</th><th scope='col'>Patients</th><th scope='col'>Events</th><th scope='col'>Median (95% CI), " + d.unit + "</th></tr>";
        var mb = med.tBodies[0]; mb.textContent = "";
        d.groups.forEach(function (g) {
          var tr = mb.insertRow();
          [d.by ? g.name : "All patients", g.n, g.events,
           fmt(g.median, 1) + " (" + fmt(g.lower, 1) + "-" + fmt(g.upper, 1) + ")"].forEach(function (v) {
            tr.insertCell().textContent = v;
          });
        });
        var risk = document.getElementById("km-risk");
        risk.tHead.innerHTML = "";
        var hr = risk.tHead.insertRow();
        var th = document.createElement("th"); th.scope = "col"; th.textContent = d.unit; hr.appendChild(th);
        d.risk_times.forEach(function (t) {
          var c = document.createElement("th"); c.scope = "col"; c.textContent = fmt(t, 0); hr.appendChild(c);
        });
        var rb = risk.tBodies[0]; rb.textContent = "";
        d.risk.forEach(function (r) {
          var tr = rb.insertRow();
          var h = document.createElement("th"); h.scope = "row"; h.textContent = d.by ? r.group : "All patients";
          tr.appendChild(h);
          r.n_risk.forEach(function (n) { tr.insertCell().textContent = n; });
        });
        note.textContent = d.note || "";
      }).catch(function () {
        document.getElementById("km-note").textContent = "The curves could not be loaded.";
      });
    };
    ep.addEventListener("change", draw);
    by.addEventListener("change", draw);
    if (document.readyState === "complete") { draw(); } else { window.addEventListener("load", draw); }
  }
}());

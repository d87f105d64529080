// The dashboard: polls /api/run once a second and redraws. No library, no build step.
"use strict";

const PAD = { left: 52, right: 12, top: 10, bottom: 24 };
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function text(id, value) { document.getElementById(id).textContent = value; }

function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  seconds = Math.round(seconds);
  const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

function byEpoch(points) {
  const groups = new Map();
  for (const p of points) {
    const epoch = Math.ceil(p.x - 1e-9);
    if (!groups.has(epoch)) groups.set(epoch, []);
    groups.get(epoch).push(p);
  }
  return [...groups.values()];
}

function fixed(value, digits) { return value === null || value === undefined || !isFinite(value) ? "–" : Number(value).toFixed(digits); }

// One chart in the SVG's own pixels (text is never stretched): series of {x, y} against epochs on x.
// The y range follows the values from half an epoch on, so the first steep steps do not flatten the
// rest; what falls outside is clipped. Series with markers are the per-epoch values.
function drawChart(svg, epochs, series, yFormat, floor, ceiling) {
  const W = Math.max(200, svg.clientWidth || 600), H = Math.max(120, svg.clientHeight || 220);
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.replaceChildren();
  const points = series.flatMap(s => s.points).filter(p => isFinite(p.y));
  const settled = points.filter(p => p.x >= 0.5);
  const ys = (settled.length ? settled : points).map(p => p.y);
  const xMax = Math.max(1, epochs);
  let yMin = ys.length ? Math.min(...ys) : 0, yMax = ys.length ? Math.max(...ys) : 1;
  if (yMax - yMin < 1e-6) { yMax += 0.5; yMin -= 0.5; }
  const pad = (yMax - yMin) * 0.1; yMin = Math.max(floor, yMin - pad); yMax = Math.min(ceiling, yMax + pad);
  const x = v => PAD.left + (W - PAD.left - PAD.right) * v / xMax;
  const y = v => PAD.top + (H - PAD.top - PAD.bottom) * (1 - (v - yMin) / (yMax - yMin));
  const clipId = `${svg.id}-clip`;
  el("rect", { x: PAD.left, y: PAD.top, width: W - PAD.left - PAD.right, height: H - PAD.top - PAD.bottom },
    el("clipPath", { id: clipId }, el("defs", {}, svg)));
  for (let i = 0; i <= 4; i++) {
    const v = yMin + (yMax - yMin) * i / 4;
    el("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "grid" }, svg);
    el("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, svg).textContent = yFormat(v);
  }
  const step = Math.max(1, Math.ceil(xMax / 10));
  for (let e = 0; e <= xMax; e += step) {
    el("text", { x: x(e), y: H - 6, "text-anchor": "middle" }, svg).textContent = e;
  }
  el("line", { x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom, class: "axis" }, svg);
  const plot = el("g", { "clip-path": `url(#${clipId})` }, svg);
  for (const s of series) {
    // A running series restarts each epoch: one line per epoch.
    const segments = s.markers ? [s.points] : byEpoch(s.points);
    for (const segment of segments) {
      const pts = segment.filter(p => isFinite(p.y));
      if (pts.length > 1) {
        el("polyline", { points: pts.map(p => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" "), class: `line ${s.cls}` }, plot);
      }
    }
    if (s.markers) {
      for (const p of s.points.filter(p => isFinite(p.y))) el("circle", { cx: x(p.x), cy: y(p.y), r: 4, class: `epoch-point ${s.cls}` }, plot);
    }
  }
  svg.dataset.epochs = String(series.find(s => s.markers)?.points.length ?? 0);
}

function render(run) {
  const status = document.getElementById("status");
  status.textContent = run.status;
  status.className = `badge ${run.status.split(" ")[0]}`;

  const p = run.progress;
  document.getElementById("progress-bar").style.width = `${(100 * p.fraction).toFixed(1)}%`;
  text("epoch", p.epochs ? `${p.epoch} / ${p.epochs}` : "–");
  text("iteration", p.iterationsPerEpoch ? `${p.iteration} / ${p.iterationsPerEpoch}` : "–");
  text("percent", `${(100 * p.fraction).toFixed(1)}%`);
  text("samples-per-second", p.samplesPerSecond ? Math.round(p.samplesPerSecond).toLocaleString("en-US") : "–");
  text("elapsed", duration(p.elapsedSeconds));
  text("eta", duration(p.etaSeconds));

  const epochs = run.epochs;
  drawChart(document.getElementById("loss-chart"), p.epochs, [
    { cls: "running", points: run.runningLoss.map(r => ({ x: r.position, y: r.loss })) },
    { cls: "train", markers: true, points: epochs.map(e => ({ x: e.epoch, y: e.trainLoss })) },
    { cls: "test", markers: true, points: epochs.map(e => ({ x: e.epoch, y: e.testLoss })) },
  ], v => v.toFixed(3), 0, Infinity);
  drawChart(document.getElementById("accuracy-chart"), p.epochs, [
    { cls: "running", points: run.runningLoss.map(r => ({ x: r.position, y: 100 * r.accuracy })) },
    { cls: "train", markers: true, points: epochs.map(e => ({ x: e.epoch, y: 100 * e.trainAccuracy })) },
    { cls: "test", markers: true, points: epochs.map(e => ({ x: e.epoch, y: 100 * e.testAccuracy })) },
  ], v => `${v.toFixed(1)}%`, 0, 100);

  const workers = document.querySelector("#workers tbody");
  workers.replaceChildren(...run.workers.map(w => {
    const row = document.createElement("tr");
    row.className = `${w.state}${w.straggler ? " straggler" : ""}`;
    row.dataset.worker = w.name;
    const cells = [w.name, w.state, w.shards.toLocaleString("en-US"),
      `${fixed(w.computeP50Ms, 2)} / ${fixed(w.computeP95Ms, 2)} ms`,
      `${fixed(w.roundTripP50Ms, 2)} / ${fixed(w.roundTripP95Ms, 2)} ms`,
      w.straggler ? `yes (> ${run.stragglerFactor}x)` : "no"];
    for (const c of cells) { const td = document.createElement("td"); td.textContent = c; row.appendChild(td); }
    return row;
  }));
  const c = run.counts;
  text("counts", `rejected ${c.rejected} · re-dispatched ${c.redispatched} · speculated ${c.speculated} · checkpoints ${c.checkpoints}`);

  document.querySelector("#epochs tbody").replaceChildren(...epochs.map(e => {
    const row = document.createElement("tr");
    for (const v of [e.epoch, fixed(e.trainLoss, 4), fixed(100 * e.trainAccuracy, 2) + "%", fixed(e.testLoss, 4),
      fixed(100 * e.testAccuracy, 2) + "%", fixed(e.seconds, 2), Math.round(e.samplesPerSecond).toLocaleString("en-US")]) {
      const td = document.createElement("td"); td.textContent = v; row.appendChild(td);
    }
    return row;
  }));

  const config = document.getElementById("configuration");
  if (!config.childElementCount) {
    for (const [k, v] of Object.entries(run.configuration)) {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v;
      config.append(dt, dd);
    }
  }
}

async function poll() {
  try {
    const response = await fetch("/api/run", { cache: "no-store" });
    if (!response.ok) throw new Error(response.statusText);
    render(await response.json());
  } catch {
    const status = document.getElementById("status");
    if (status.textContent !== "finished" && status.textContent !== "stopped") {
      status.textContent = "offline";
      status.className = "badge offline";
    }
  }
  setTimeout(poll, 1000);
}

poll();

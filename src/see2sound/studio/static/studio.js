// see2sound studio page: upload, watch the job, show and move the sources, add, relabel and remove them,
// listen and download; an ambisonic render also plays head-tracked (preview.js).
// Conventions (SPEC): azimuth in degrees, positive to the LEFT; elevation positive up; distance in metres.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7c86", "#6e7781"];
// mark: where a source is being added, {point: [u, v]} or {box: [x0, y0, x1, y1]} in the picture's pixels.
// formats: name -> {channels, rendering, ambisonic_order, description} (GET /api/components).
const state = { job: null, scene: null, dirty: false, labels: [], adding: false, mark: null, formats: {} };
const $ = (id) => document.getElementById(id);

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

// The studio's token for this page: sent with every change, so that other web pages cannot make any.
const TOKEN = document.querySelector('meta[name="see2sound-token"]').content;

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.method && options.method !== "GET") headers["X-See2Sound-Token"] = TOKEN;
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("application/json") ? await response.json() : null;
  if (!response.ok) throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  return body;
}

function setProgress(job) {
  $("progress").hidden = false;
  $("progress-bar").value = job.progress;
  const stage = job.stage ? ` (${job.stage})` : "";
  $("progress-text").textContent = `${job.status}${stage} ${Math.round(job.progress * 100)} %`;
}

async function waitFor(id) {
  for (;;) {
    const job = await api(`/api/jobs/${id}`);
    setProgress(job);
    if (job.status === "done") return job;
    if (job.status === "failed") throw new Error(job.error || "the job failed");
    await new Promise((r) => setTimeout(r, 400));
  }
}

// --- geometry: picture pixels <-> directions (as the camera in the scene) ---

function camera() {
  const input = state.scene.input || {};
  const cam = state.scene.camera || {};
  const w = input.width || 1920, h = input.height || 1080;
  const hfov = cam.hfov_deg || 65;
  return { w, h, equirect: cam.projection === "equirect", f: (w / 2) / Math.tan((hfov * Math.PI) / 360) };
}

function toPixel(az, el) {
  const c = camera();
  if (c.equirect) {
    let u = c.w / 2 - (az / 360) * c.w;
    u = ((u % c.w) + c.w) % c.w;
    return { u, v: c.h / 2 - (el / 180) * c.h };
  }
  if (Math.abs(az) >= 89) return null; // behind or beside the camera: only on the map
  const x = c.f * Math.tan((az * Math.PI) / 180);
  const u = c.w / 2 - x;
  const v = c.h / 2 - Math.tan((el * Math.PI) / 180) * Math.hypot(c.f, x);
  return { u, v };
}

function toDirection(u, v) {
  const c = camera();
  if (c.equirect) return { az: ((c.w / 2 - u) / c.w) * 360, el: ((c.h / 2 - v) / c.h) * 180 };
  const x = c.w / 2 - u;
  return {
    az: (Math.atan2(x, c.f) * 180) / Math.PI,
    el: (Math.atan2(c.h / 2 - v, Math.hypot(c.f, x)) * 180) / Math.PI,
  };
}

function mapRange() {
  const far = Math.max(...state.scene.sources.map((s) => s.position.distance_m), 5);
  return Math.ceil((far * 1.25) / 5) * 5;
}

// --- drawing ---

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function draw() {
  drawOverlay();
  drawMap();
  drawTable();
}

function drawOverlay() {
  const svg = $("overlay");
  const c = camera();
  svg.setAttribute("viewBox", `0 0 ${c.w} ${c.h}`);
  svg.replaceChildren();
  svg.classList.toggle("adding", state.adding);
  const scale = c.w / ($("picture").clientWidth || 640);
  if (state.adding) {
    // Catches the pointer anywhere on the picture (the dots let it through while adding).
    const area = el("rect", { x: 0, y: 0, width: c.w, height: c.h, fill: "transparent",
      "data-testid": "add-area" }, svg);
    markOut(area, svg, scale);
  }
  state.scene.sources.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const group = el("g", { class: s.muted ? "muted" : "", "data-source": s.id }, svg);
    if (s.box) {
      const [x0, y0, x1, y1] = s.box;
      el("rect", { class: "box", x: x0, y: y0, width: x1 - x0, height: y1 - y0, stroke: colour,
        "stroke-width": 2 * scale }, group);
      const label = el("text", { class: "box-label", x: x0 + 4 * scale, y: y0 + 16 * scale, fill: colour,
        "font-size": 14 * scale }, group);
      label.textContent = s.id;
    }
    const p = toPixel(s.position.azimuth_deg, s.position.elevation_deg);
    if (!p) return;
    const handle = el("circle", { class: "handle", cx: p.u, cy: p.v, r: 9 * scale, fill: colour,
      "stroke-width": 2 * scale,
      "data-testid": `handle-${s.id}` }, group);
    drag(handle, svg, (x, y) => {
      const d = toDirection(x, y);
      move(s, d.az, d.el, s.position.distance_m);
    });
  });
  drawMark(svg, scale);
}

function drawMark(svg, scale) {
  const m = state.mark;
  if (!m) return;
  if (m.box) {
    const [x0, y0, x1, y1] = m.box;
    el("rect", { class: "mark", x: x0, y: y0, width: x1 - x0, height: y1 - y0, "stroke-width": 2 * scale }, svg);
  } else {
    el("circle", { class: "mark", cx: m.point[0], cy: m.point[1], r: 12 * scale, "stroke-width": 2 * scale }, svg);
  }
}

function drawMap() {
  const svg = $("map");
  svg.replaceChildren();
  const range = mapRange();
  $("map-range").textContent = `rings every ${range / 5} m, edge ${range} m`;
  for (let k = 1; k <= 5; k++) el("circle", { class: "ring", cx: 0, cy: 0, r: k / 5 }, svg);
  el("line", { x1: 0, y1: 0, x2: 0, y2: -1, class: "ring" }, svg);
  drawHeading(svg);
  el("path", { class: "listener", d: "M0,-0.06 L0.04,0.04 L-0.04,0.04 Z" }, svg);
  state.scene.sources.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const a = (s.position.azimuth_deg * Math.PI) / 180;
    const r = Math.min(1.05, s.position.distance_m / range);
    const x = -Math.sin(a) * r, y = -Math.cos(a) * r;
    const group = el("g", { class: s.muted ? "muted" : "" }, svg);
    const dot = el("circle", { class: "handle", cx: x, cy: y, r: 0.045, fill: colour,
      "data-testid": `map-${s.id}` }, group);
    const label = el("text", { class: "map-label", x: x + 0.06, y: y + 0.02 }, group);
    label.textContent = s.id;
    drag(dot, svg, (px, py) => {
      const dist = Math.max(0.3, Math.hypot(px, py) * range);
      move(s, (Math.atan2(-px, -py) * 180) / Math.PI, s.position.elevation_deg, dist);
    });
  });
}

// Where the head points while the head-tracked preview is shown: a wedge 40 deg wide at its yaw.
function drawHeading(svg) {
  if (!see2soundPreview.active()) return;
  const yaw = see2soundPreview.head().yaw;
  const at = (deg) => `${(-Math.sin(deg * Math.PI / 180)).toFixed(4)},${(-Math.cos(deg * Math.PI / 180)).toFixed(4)}`;
  const arc = [];
  for (let k = 0; k <= 8; k++) arc.push(at(yaw + 20 - k * 5));
  el("path", { class: "heading", d: `M0,0 L${arc.join(" L")} Z`, "data-testid": "heading",
    "data-yaw": yaw.toFixed(1) }, svg);
}

function drawTable() {
  const body = $("sources").querySelector("tbody");
  body.replaceChildren();
  for (const s of state.scene.sources) {
    const row = document.createElement("tr");
    row.dataset.source = s.id;
    const cells = [
      `${s.id}${s.label && s.label !== s.id ? ` (${s.label})` : ""}`,
      `${s.position.azimuth_deg.toFixed(1)}°`,
      `${s.position.elevation_deg.toFixed(1)}°`,
      `${s.position.distance_m.toFixed(1)} m`,
      (s.sound && (s.sound.description || s.sound.clip || s.sound.model)) || "",
    ];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      row.appendChild(td);
    }
    const muteCell = document.createElement("td");
    const mute = document.createElement("input");
    mute.type = "checkbox";
    mute.checked = Boolean(s.muted);
    mute.setAttribute("aria-label", `mute ${s.id}`);
    mute.addEventListener("change", () => { s.muted = mute.checked; changed(); });
    muteCell.appendChild(mute);
    row.appendChild(labelCell(s));
    row.appendChild(muteCell);
    row.appendChild(swapCell(s));
    row.appendChild(removeCell(s));
    body.appendChild(row);
  }
}

// Relabel: another of the labels a source can have; it gets that label's sound when rendered.
function labelCell(s) {
  const td = document.createElement("td");
  const input = document.createElement("input");
  input.className = "label-input";
  input.setAttribute("list", "labels");
  input.value = s.label || "";
  input.setAttribute("aria-label", `label of ${s.id}`);
  input.addEventListener("change", () => {
    const label = input.value.trim();
    if (label === s.label) return;
    if (!state.labels.includes(label)) {
      showError(`"${label}" is not a label a source can have: pick one from the list`);
      input.value = s.label || "";
      return;
    }
    showError("");
    s.label = label;
    s.sound = { ...(s.sound || {}), description: `a ${label}'s sound (not rendered yet)` };
    changed();
  });
  td.appendChild(input);
  return td;
}

function removeCell(s) {
  const td = document.createElement("td");
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Remove";
  button.setAttribute("aria-label", `remove ${s.id}`);
  button.addEventListener("click", () => {
    state.scene.sources = state.scene.sources.filter((other) => other !== s);
    changed();
  });
  td.appendChild(button);
  return td;
}

function swapCell(s) {
  const td = document.createElement("td");
  const input = document.createElement("input");
  input.type = "search";
  input.placeholder = "search sounds";
  input.setAttribute("aria-label", `search a sound for ${s.id}`);
  const list = document.createElement("ul");
  list.className = "results";
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const found = await api(`/api/library?q=${encodeURIComponent(input.value)}`);
        list.replaceChildren();
        for (const r of found.results.slice(0, 12)) {
          const li = document.createElement("li");
          const pick = document.createElement("button");
          pick.type = "button";
          pick.textContent = r.title;
          pick.title = `${r.key} (${r.license || ""})`;
          pick.addEventListener("click", () => {
            s.sound = { ...(s.sound || {}), choice: r.key, description: `${r.title} (not rendered yet)` };
            changed();
          });
          li.appendChild(pick);
          list.appendChild(li);
        }
      } catch (err) { showError(err.message); }
    }, 250);
  });
  td.append(input, list);
  return td;
}

function move(s, az, el, dist) {
  az = ((az + 540) % 360) - 180;
  s.position = { ...s.position, azimuth_deg: Math.round(az * 100) / 100,
    elevation_deg: Math.round(Math.max(-90, Math.min(90, el)) * 100) / 100,
    distance_m: Math.round(Math.max(0.3, Math.min(1000, dist)) * 1000) / 1000 };
  changed();
}

function changed() {
  state.dirty = true;
  $("render").disabled = false;
  draw();
}

// Pointer dragging in an SVG's own coordinates: the dot follows the pointer; the source moves on release.
function drag(node, svg, onDrop) {
  node.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    const point = (e) => {
      const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(svg.getScreenCTM().inverse());
      return [p.x, p.y];
    };
    const follow = (e) => {
      const [x, y] = point(e);
      node.setAttribute("cx", x);
      node.setAttribute("cy", y);
    };
    const release = (e) => {
      window.removeEventListener("pointermove", follow);
      window.removeEventListener("pointerup", release);
      const [x, y] = point(e);
      onDrop(x, y);
    };
    window.addEventListener("pointermove", follow);
    window.addEventListener("pointerup", release);
  });
}

// --- adding a source: click where its sound comes from (or drag a box round it), then pick its label ---

function setAdding(on) {
  state.adding = on;
  state.mark = null;
  $("add-mode").setAttribute("aria-pressed", String(on));
  $("add-form").hidden = true;
  if (state.scene) drawOverlay();
}

// A click marks a point, a drag a box; both in the picture's pixels, inside it.
function markOut(area, svg, scale) {
  area.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    const c = camera();
    const point = (e) => {
      const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(svg.getScreenCTM().inverse());
      return [Math.min(c.w, Math.max(0, p.x)), Math.min(c.h, Math.max(0, p.y))];
    };
    const start = point(event);
    const round = (v) => Math.round(v * 10) / 10;
    const follow = (e) => {
      const [x, y] = point(e);
      state.mark = { box: [Math.min(start[0], x), Math.min(start[1], y), Math.max(start[0], x), Math.max(start[1], y)] };
      drawOverlay();
    };
    const release = (e) => {
      window.removeEventListener("pointermove", follow);
      window.removeEventListener("pointerup", release);
      const [x, y] = point(e);
      const small = Math.hypot(x - start[0], y - start[1]) < 6 * scale;
      state.mark = small || Math.abs(x - start[0]) < 2 || Math.abs(y - start[1]) < 2
        ? { point: [round(x), round(y)] }
        : { box: [Math.min(start[0], x), Math.min(start[1], y), Math.max(start[0], x), Math.max(start[1], y)].map(round) };
      $("add-where").textContent = state.mark.box ? `box ${state.mark.box.join(", ")}` : `point ${state.mark.point.join(", ")}`;
      $("add-form").hidden = false;
      drawOverlay();
      $("add-label").focus();
    };
    window.addEventListener("pointermove", follow);
    window.addEventListener("pointerup", release);
  });
}

async function confirmAdd(event) {
  event.preventDefault();
  const label = $("add-label").value.trim();
  if (!state.labels.includes(label)) {
    showError(`"${label}" is not a label a source can have: pick one from the list`);
    return;
  }
  if (!state.mark) { showError("click on the picture where the sound comes from first"); return; }
  const add = { label, ...state.mark };
  setAdding(false);
  $("add-label").value = "";
  await rerender(add); // with the other changes not rendered yet: the edit is the page's scene, plus this source
}

async function loadLabels() {
  try {
    const { labels } = await api("/api/labels");
    state.labels = labels.map((l) => l.label);
    $("labels").replaceChildren(...state.labels.map((label) => {
      const option = document.createElement("option");
      option.value = label;
      return option;
    }));
  } catch (err) { showError(err.message); }
}

// --- the flow ---

function updateAudio() {
  const fmt = $("format").value;
  const stamp = Date.now();
  $("download").href = `/api/jobs/${state.job}/result?format=${encodeURIComponent(fmt)}&t=${stamp}`;
  $("download").textContent = `Download ${fmt}`;
  $("player").src = `/api/jobs/${state.job}/result?format=binaural&t=${stamp}`;
  updatePreview(stamp);
}

// The head-tracked preview is offered for an ambisonic format (and hidden for the others).
function updatePreview(stamp = Date.now()) {
  const fmt = $("format").value;
  const info = state.formats[fmt];
  const ambisonic = Boolean(state.job && info && info.rendering === "ambisonic");
  see2soundPreview.setSource(ambisonic ? `/api/jobs/${state.job}/result?format=${encodeURIComponent(fmt)}&t=${stamp}`
    : null, fmt);
}

// The registered formats: each one the page does not list yet is offered too (HOA, 5.1.4 ...).
async function loadFormats() {
  try {
    const { formats } = await api("/api/components");
    const select = $("format");
    const listed = new Set([...select.options].map((o) => o.value));
    for (const f of formats) {
      state.formats[f.name] = f;
      if (listed.has(f.name)) continue;
      const option = document.createElement("option");
      option.value = f.name;
      option.textContent = `${f.name} (${f.description})`;
      select.appendChild(option);
    }
    if (state.job) updatePreview();
  } catch (err) { showError(err.message); }
}

async function listJobs() {
  const list = $("recent-list");
  try {
    const { jobs } = await api("/api/jobs");
    list.replaceChildren();
    for (const job of jobs) {
      const li = document.createElement("li");
      if (job.status === "done") {
        const open = document.createElement("a");
        open.href = `#${job.id}`;
        open.textContent = job.name;
        li.appendChild(open);
      } else {
        li.textContent = job.name;
      }
      li.append(` (${job.kind}, ${job.status}${job.error ? `: ${job.error}` : ""})`);
      list.appendChild(li);
    }
  } catch (err) { showError(err.message); }
}

async function openFromAddress() {
  const id = location.hash.slice(1);
  if (!id || id === state.job) return;
  showError("");
  try {
    await waitFor(id);
    await loadJob(id);
  } catch (err) { showError(err.message); }
}

async function loadJob(id) {
  state.job = id;
  if (location.hash.slice(1) !== id) history.replaceState(null, "", `#${id}`);
  state.scene = await api(`/api/jobs/${id}/scene`);
  state.dirty = false;
  state.adding = false;
  state.mark = null;
  $("add-mode").setAttribute("aria-pressed", "false");
  $("add-form").hidden = true;
  $("picture").src = `/api/jobs/${id}/picture?t=${Date.now()}`;
  $("studio").hidden = false;
  $("render").disabled = true;
  updateAudio();
  draw();
  document.body.dataset.state = "ready";
  listJobs();
}

async function upload(event) {
  event.preventDefault();
  showError("");
  const file = $("file").files[0];
  if (!file) { showError("choose a picture or a video first"); return; }
  document.body.dataset.state = "working";
  const form = new FormData();
  form.append("file", file);
  form.append("duration", $("duration").value);
  form.append("seed", $("seed").value);
  $("analyse").disabled = true;
  try {
    const { id } = await api("/api/jobs", { method: "POST", body: form });
    await waitFor(id);
    await loadJob(id);
  } catch (err) {
    showError(err.message);
    document.body.dataset.state = "failed";
  } finally {
    $("analyse").disabled = false;
  }
}

// Sends the page's scene (and a source to add, if any) as the job's edit, then shows the result.
async function rerender(add) {
  document.body.dataset.state = "working";
  showError("");
  $("render").disabled = true;
  try {
    const body = add ? { ...state.scene, add: [add] } : state.scene;
    await api(`/api/jobs/${state.job}/scene`, { method: "PUT", headers: { "content-type": "application/json" },
      body: JSON.stringify(body) });
    await waitFor(state.job);
    await loadJob(state.job);
  } catch (err) {
    showError(err.message);
    document.body.dataset.state = "failed";
    $("render").disabled = false;
  }
}

function setupDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) $("file").files = e.dataTransfer.files;
  });
}

window.addEventListener("DOMContentLoaded", () => {
  $("upload-form").addEventListener("submit", upload);
  $("render").addEventListener("click", () => rerender());
  $("add-mode").addEventListener("click", () => setAdding(!state.adding));
  $("add-cancel").addEventListener("click", () => setAdding(false));
  $("add-form").addEventListener("submit", confirmAdd);
  loadLabels();
  see2soundPreview.attach({ onTurn: () => { if (state.scene) drawMap(); }, showError });
  loadFormats();
  $("format").addEventListener("change", updateAudio);
  $("picture").addEventListener("load", () => { if (state.scene) drawOverlay(); });
  window.addEventListener("hashchange", openFromAddress);
  listJobs();
  openFromAddress();
  setupDrop();
});

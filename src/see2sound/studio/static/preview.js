// see2sound studio: the head-tracked preview. An ambisonic render (AmbiX: ACN channel order, SN3D; 4 channels
// for first order, 9 or 16 for second or third) is decoded to binaural in the page by Omnitone
// (vendor/omnitone.min.js, Apache-2.0, npm omnitone@1.3.0), and the sound field is turned against the head:
// drag the picture, press the arrow keys, or turn a phone.
// Conventions (SPEC §1): yaw is positive when the head turns to the LEFT (as azimuth), pitch positive up.
// window.see2soundPreview is what the studio page (and its tests) use: setSource, head, setHead, turn, active,
// renderOffline.
"use strict";

const see2soundPreview = (() => {
  const $ = (id) => document.getElementById(id);
  const DEG = Math.PI / 180;
  // Turning: a drag across the whole picture turns the head half round; a key press turns it by a step.
  const DRAG_DEG_PER_WIDTH = 180, KEY_STEP_DEG = 15, MAX_PITCH_DEG = 89;
  const FAILED = "head-tracked preview: ";

  const state = {
    url: null, format: null, buffer: null, loading: null,  // the ambisonic render, once fetched and decoded
    head: { yaw: 0, pitch: 0 },
    context: null, renderers: new Map(), source: null,     // playing: the AudioContext, Omnitone by order
    motion: null,                                           // following the phone: its listener and reference
    onTurn: () => {}, showError: () => {},
  };

  // --- the rotation ---

  // The sound field's rotation for the head at (yaw, pitch): the inverse of the head's, as a 3x3 matrix
  // [row][column] over AmbiX's first-order channels in file order (Y, Z, X) = (left, up, front).
  // The head's rotation in SPEC axes (x front, y left, z up) is H = Rz(yaw) Ry(-pitch); the field's is H^T.
  function fieldRotation(yawDeg, pitchDeg) {
    const ca = Math.cos(yawDeg * DEG), sa = Math.sin(yawDeg * DEG);
    const cb = Math.cos(pitchDeg * DEG), sb = Math.sin(pitchDeg * DEG);
    const H = [[ca * cb, -sa, -ca * sb], [sa * cb, ca, -sa * sb], [sb, 0, cb]]; // columns: front, left, up
    const acn = [1, 2, 0]; // (Y, Z, X) -> (y, z, x)
    return acn.map((i) => acn.map((j) => H[j][i])); // F[i][j] = H^T[i][j] = H[j][i]
  }

  // What Omnitone's setRotationMatrix3 takes (column-major) for the field rotation A over (Y, Z, X).
  // Its FOA rotator reads the matrix in WebGL axes (x right, y up, z back: T = diag(-1, 1, -1) from AmbiX's
  // (Y, Z, X)) and applies T M T; its HOA rotator applies T M to (Y, Z, X) directly (omnitone 1.3.0's
  // foa-rotator.js and hoa-rotator.js). So M = T A T for first order and T A for higher orders; the browser
  // test checks both by the ears' levels.
  function omnitoneMatrix(A, order) {
    const t = [-1, 1, -1];
    const M = A.map((row, i) => row.map((v, j) => t[i] * v * (order === 1 ? t[j] : 1)));
    const out = new Float32Array(9);
    for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) out[j * 3 + i] = M[i][j];
    return out;
  }

  function orderOf(channels) {
    const order = Math.round(Math.sqrt(channels)) - 1;
    if ((order + 1) ** 2 !== channels || order < 1 || order > 3) {
      throw new Error(`${FAILED}it plays first- to third-order ambisonics (4, 9 or 16 channels); ` +
        `this file has ${channels}`);
    }
    return order;
  }

  // An initialised Omnitone renderer for ``order`` on ``context``.
  async function makeRenderer(context, order) {
    // omnitone 1.3.0 makes a do-nothing function with `new Function()` while it loads its HRIRs, which the
    // page's Content-Security-Policy (no 'unsafe-eval') refuses. Only for that synchronous call, the global
    // Function is a stand-in that makes the same do-nothing function.
    const original = window.Function;
    let renderer, ready;
    window.Function = function () { return function () {}; };
    try {
      renderer = order === 1 ? Omnitone.createFOARenderer(context)
        : Omnitone.createHOARenderer(context, { ambisonicOrder: order });
      ready = renderer.initialize();
    } finally {
      window.Function = original;
    }
    await ready;
    return renderer;
  }

  function rotate(renderer, order) {
    renderer.setRotationMatrix3(omnitoneMatrix(fieldRotation(state.head.yaw, state.head.pitch), order));
  }

  // --- the render ---

  async function load(context) {
    if (state.buffer) return state.buffer;
    if (!state.loading) {
      const url = state.url;
      state.loading = (async () => {
        let response;
        try {
          response = await fetch(url);
        } catch (err) {
          throw new Error(`${FAILED}the studio did not answer (${err.message})`);
        }
        if (!response.ok) {
          const type = response.headers.get("content-type") || "";
          const body = type.includes("application/json") ? await response.json() : null;
          throw new Error(FAILED + ((body && body.error) || `${response.status} ${response.statusText}`));
        }
        const bytes = await response.arrayBuffer();
        let buffer;
        try {
          buffer = await context.decodeAudioData(bytes);
        } catch (err) {
          throw new Error(`${FAILED}this browser could not decode the ${state.format} file`);
        }
        orderOf(buffer.numberOfChannels);
        if (state.url === url) state.buffer = buffer;
        return buffer;
      })();
      state.loading.catch(() => {}).then(() => { if (state.url === url) state.loading = null; });
    }
    return state.loading;
  }

  function audioContext() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context || typeof Omnitone === "undefined") throw new Error(`${FAILED}this browser has no Web Audio`);
    if (!state.context) state.context = new Context();
    return state.context;
  }

  async function play() {
    const button = $("ht-play");
    if (state.source) { stop(); return; }
    state.showError("");
    button.disabled = true;
    try {
      const context = audioContext();
      await context.resume(); // created or resumed in the click: browsers let it sound
      const buffer = await load(context);
      const order = orderOf(buffer.numberOfChannels);
      if (!state.renderers.has(order)) {
        const renderer = await makeRenderer(context, order);
        renderer.output.connect(context.destination);
        state.renderers.set(order, renderer);
      }
      const renderer = state.renderers.get(order);
      rotate(renderer, order);
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.loop = true;
      source.connect(renderer.input);
      source.start();
      state.source = { node: source, renderer, order };
      button.textContent = "Stop";
      $("headtracked").dataset.state = "playing";
    } catch (err) {
      state.showError(err.message.startsWith(FAILED) ? err.message : FAILED + err.message);
    } finally {
      button.disabled = false;
    }
  }

  function stop() {
    if (state.source) {
      state.source.node.stop();
      state.source.node.disconnect();
      state.source = null;
    }
    const button = $("ht-play");
    if (button) button.textContent = "Play";
    if ($("headtracked")) $("headtracked").dataset.state = "stopped";
  }

  // --- the head ---

  function setHead(yawDeg, pitchDeg = state.head.pitch) {
    const yaw = ((((yawDeg + 180) % 360) + 360) % 360) - 180;
    const pitch = Math.max(-MAX_PITCH_DEG, Math.min(MAX_PITCH_DEG, pitchDeg));
    state.head = { yaw, pitch };
    if (state.source) rotate(state.source.renderer, state.source.order);
    const side = (deg, plus, minus) => `${Math.abs(Math.round(deg))}° ${deg >= 0 ? plus : minus}`;
    $("ht-heading").textContent = Math.round(yaw) === 0 && Math.round(pitch) === 0 ? "facing front"
      : `head turned ${side(yaw, "left", "right")}, ${side(pitch, "up", "down")}`;
    $("headtracked").dataset.yaw = yaw.toFixed(1);
    state.onTurn(state.head);
  }

  function turn(dyawDeg, dpitchDeg = 0) {
    setHead(state.head.yaw + dyawDeg, state.head.pitch + dpitchDeg);
  }

  function active() {
    return Boolean(state.url);
  }

  // Dragging on the picture (not on a source's dot, nor while adding a source): the head follows the pointer,
  // right turns it right, up tilts it up.
  function setupDrag() {
    const wrap = document.querySelector("#picture-view .picture-wrap");
    wrap.addEventListener("pointerdown", (event) => {
      if (!active() || event.target.closest(".handle") || $("overlay").classList.contains("adding")) return;
      event.preventDefault();
      const width = wrap.clientWidth || 640;
      let last = [event.clientX, event.clientY];
      const follow = (e) => {
        const dx = e.clientX - last[0], dy = e.clientY - last[1];
        last = [e.clientX, e.clientY];
        turn((-dx / width) * DRAG_DEG_PER_WIDTH, (-dy / width) * DRAG_DEG_PER_WIDTH);
      };
      const release = (e) => {
        follow(e);
        window.removeEventListener("pointermove", follow);
        window.removeEventListener("pointerup", release);
      };
      window.addEventListener("pointermove", follow);
      window.addEventListener("pointerup", release);
    });
  }

  function setupKeys() {
    document.addEventListener("keydown", (event) => {
      if (!active() || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target.closest && event.target.closest("input, select, textarea, [contenteditable]")) return;
      const step = { ArrowLeft: [KEY_STEP_DEG, 0], ArrowRight: [-KEY_STEP_DEG, 0],
        ArrowUp: [0, KEY_STEP_DEG], ArrowDown: [0, -KEY_STEP_DEG] }[event.key];
      if (!step) return;
      event.preventDefault();
      turn(...step);
    });
  }

  // A phone's orientation (DeviceOrientation: the Z-X'-Y'' angles alpha, beta, gamma, the earth's z up): the
  // head looks where the phone's back camera does, its yaw counted from where it looked when following began.
  function lookDirection(alpha, beta, gamma) {
    const a = alpha * DEG, b = beta * DEG, g = gamma * DEG;
    // Minus the device's z axis in earth axes (x east, y north, z up): the third column of Rz(a) Rx(b) Ry(g).
    const x = -(Math.sin(g) * Math.cos(a) + Math.cos(g) * Math.sin(b) * Math.sin(a));
    const y = -(Math.sin(g) * Math.sin(a) - Math.cos(g) * Math.sin(b) * Math.cos(a));
    const z = -(Math.cos(g) * Math.cos(b));
    return { heading: Math.atan2(-x, y) / DEG, pitch: Math.asin(Math.max(-1, Math.min(1, z))) / DEG };
  }

  async function toggleMotion() {
    const button = $("ht-motion");
    if (state.motion) { stopMotion(); return; }
    state.showError("");
    if (!("DeviceOrientationEvent" in window)) {
      state.showError(`${FAILED}this browser does not report the device's orientation`);
      return;
    }
    if (!window.isSecureContext) {
      state.showError(`${FAILED}following the phone needs the studio over HTTPS (or on this computer): ` +
        "browsers give a page the device's orientation only then");
      return;
    }
    if (typeof DeviceOrientationEvent.requestPermission === "function") { // iOS asks the user, in a click
      let answer;
      try { answer = await DeviceOrientationEvent.requestPermission(); } catch (err) { answer = "denied"; }
      if (answer !== "granted") {
        state.showError(`${FAILED}the phone's motion was not allowed (Settings, Safari, Motion & Orientation Access)`);
        return;
      }
    }
    const motion = { reference: null, heard: false };
    motion.listener = (e) => {
      if (e.alpha === null || e.beta === null || e.gamma === null) return;
      motion.heard = true;
      const look = lookDirection(e.alpha, e.beta, e.gamma);
      if (motion.reference === null) motion.reference = look.heading - state.head.yaw;
      setHead(look.heading - motion.reference, look.pitch);
    };
    window.addEventListener("deviceorientation", motion.listener);
    motion.timer = setTimeout(() => {
      if (!motion.heard && state.motion === motion) {
        stopMotion();
        state.showError(`${FAILED}this device reports no orientation (it has no motion sensor)`);
      }
    }, 3000);
    state.motion = motion;
    button.setAttribute("aria-pressed", "true");
  }

  function stopMotion() {
    if (!state.motion) return;
    window.removeEventListener("deviceorientation", state.motion.listener);
    clearTimeout(state.motion.timer);
    state.motion = null;
    $("ht-motion").setAttribute("aria-pressed", "false");
  }

  // --- what the page uses ---

  // The ambisonic render to preview (``url`` of the studio's result, its ``format`` name), or null: hidden.
  function setSource(url, format) {
    if (url === state.url) return;
    stop();
    state.url = url;
    state.format = format;
    state.buffer = null;
    state.loading = null;
    const panel = $("headtracked");
    panel.hidden = !url;
    document.querySelector("#picture-view .picture-wrap").classList.toggle("turnable", Boolean(url));
    if (url) $("ht-format").textContent = format;
    else stopMotion();
    state.onTurn(state.head);
  }

  // The preview rendered offline (the same Omnitone graph, at the head's present orientation): the ears' RMS
  // and their level difference (dB, > 0: left louder), and with ``samples`` the ears' signals (left, right) at
  // sample_rate. ``channels`` (arrays of samples, AmbiX) at ``sampleRate`` are rendered instead of the
  // studio's render when given.
  async function renderOffline({ seconds = 1, channels = null, sampleRate = 48000, samples = false } = {}) {
    let buffer;
    if (channels) {
      buffer = new AudioBuffer({ numberOfChannels: channels.length, length: channels[0].length, sampleRate });
      channels.forEach((samples, i) => buffer.copyToChannel(Float32Array.from(samples), i));
    } else {
      if (!state.url) throw new Error(`${FAILED}no ambisonic render is selected`);
      buffer = await load(new OfflineAudioContext(1, 1, 48000));
    }
    const order = orderOf(buffer.numberOfChannels);
    const length = Math.min(buffer.length, Math.round(seconds * buffer.sampleRate));
    const context = new OfflineAudioContext(2, length, buffer.sampleRate);
    const renderer = await makeRenderer(context, order);
    rotate(renderer, order);
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(renderer.input);
    renderer.output.connect(context.destination);
    source.start();
    const out = await context.startRendering();
    const rms = (x) => Math.sqrt(x.reduce((sum, v) => sum + v * v, 0) / x.length);
    const [left, right] = [rms(out.getChannelData(0)), rms(out.getChannelData(1))];
    const result = { left_rms: left, right_rms: right, ild_db: 20 * Math.log10(left / right), order,
      yaw_deg: state.head.yaw, pitch_deg: state.head.pitch, sample_rate: out.sampleRate };
    if (samples) [result.left, result.right] = [Array.from(out.getChannelData(0)), Array.from(out.getChannelData(1))];
    return result;
  }

  function attach({ onTurn, showError }) {
    state.onTurn = onTurn;
    state.showError = showError;
    $("ht-play").addEventListener("click", play);
    $("ht-reset").addEventListener("click", () => setHead(0, 0));
    $("ht-motion").addEventListener("click", toggleMotion);
    setupDrag();
    setupKeys();
    setHead(0, 0);
  }

  return { attach, setSource, head: () => ({ ...state.head }), setHead, turn, active, renderOffline,
    fieldRotation, lookDirection };
})();
window.see2soundPreview = see2soundPreview;

// The demo page: a drawing canvas that asks POST /api/digits, and shows the answer.
// No framework and no external resources, so the page works offline.
"use strict";

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------
// Drawing: pointer events cover mouse, touch and pen alike.
// ---------------------------------------------------------------------------------

const canvas = $("digit-canvas");
const ctx = canvas.getContext("2d");
// About MNIST's stroke width once a digit drawn most of the canvas' height is scaled to 20 px.
const INK_WIDTH = 22;
let drawing = false;
let hasInk = false;
let last = null;
let autoTimer = null;

function clearCanvas() {
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  hasInk = false;
}

function pointAt(event) {
  const box = canvas.getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) * canvas.width) / box.width,
    y: ((event.clientY - box.top) * canvas.height) / box.height,
  };
}

function strokeTo(point) {
  ctx.strokeStyle = "#000000";
  ctx.lineWidth = INK_WIDTH;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(last.x, last.y);
  ctx.lineTo(point.x, point.y);
  ctx.stroke();
  last = point;
  hasInk = true;
}

function dotAt(point) {
  // Canvas drops zero-length strokes, so a tap is drawn as a disc.
  ctx.fillStyle = "#000000";
  ctx.beginPath();
  ctx.arc(point.x, point.y, INK_WIDTH / 2, 0, 2 * Math.PI);
  ctx.fill();
  hasInk = true;
}

canvas.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  drawing = true;
  last = pointAt(event);
  dotAt(last);
  clearTimeout(autoTimer);
});
canvas.addEventListener("pointermove", (event) => {
  if (drawing) strokeTo(pointAt(event));
});
function endStroke() {
  if (!drawing) return;
  drawing = false;
  // Read the digit shortly after the pen lifts, unless another stroke starts.
  autoTimer = setTimeout(() => readDrawing(), 600);
}
canvas.addEventListener("pointerup", endStroke);
canvas.addEventListener("pointercancel", endStroke);

// ---------------------------------------------------------------------------------
// Asking the API
// ---------------------------------------------------------------------------------

const result = $("digit-result");
const errorBox = $("digit-error");
const predictButton = $("digit-predict");
let pending = 0;

// Shared with vqa.js: an error line that hides when empty, and a busy result region
// whose button says what is happening.
function showMessage(box, message) {
  box.textContent = message;
  box.hidden = !message;
}

function markBusy(region, button, busy, busyLabel, idleLabel) {
  region.setAttribute("aria-busy", String(busy));
  region.classList.toggle("busy", busy);
  button.disabled = busy;
  button.textContent = busy ? busyLabel : idleLabel;
}

function showError(message) {
  showMessage(errorBox, message);
}

function setBusy(busy) {
  markBusy(result, predictButton, busy, "Reading…", "Read digit");
}

async function askDigits(blob) {
  const form = new FormData();
  form.append("image", blob, "digit.png");
  form.append("mc_samples", $("digit-mc").checked ? $("digit-mc-samples").value : "0");
  const ticket = ++pending;
  setBusy(true);
  showError("");
  try {
    const response = await fetch("/api/digits", { method: "POST", body: form });
    const body = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
    if (ticket !== pending) return; // a newer request superseded this one
    if (!response.ok) {
      showError(body.error || `the server answered ${response.status}`);
      return;
    }
    renderAnswer(body);
    askAutoencoder(blob, ticket);
  } catch (err) {
    if (ticket === pending) showError("Could not reach the server: " + err.message);
  } finally {
    if (ticket === pending) setBusy(false);
  }
}

function readDrawing() {
  clearTimeout(autoTimer);
  if (!hasInk) {
    showError("Draw a digit first.");
    return;
  }
  canvas.toBlob((blob) => askDigits(blob), "image/png");
}

// ---------------------------------------------------------------------------------
// Showing the answer
// ---------------------------------------------------------------------------------

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

// Rounded honestly: 0.9996 is not "100.0 %", and 0.0004 is not "0.0 %".
function pct(p) {
  if (p > 0.999 && p < 1) return "> 99.9 %";
  if (p > 0 && p < 0.001) return "< 0.1 %";
  return (100 * p).toFixed(1) + " %";
}

function whatTheModelSaw(answer) {
  const seen = el("figure", { class: "seen" });
  const small = el("canvas", { width: "28", height: "28", "aria-hidden": "true" });
  const image = small.getContext("2d").createImageData(28, 28);
  answer.input.flat().forEach((v, i) => {
    const g = Math.round(255 * v);
    image.data.set([g, g, g, 255], 4 * i);
  });
  small.getContext("2d").putImageData(image, 0, 0);
  seen.append(small, el("figcaption", {}, `What the model saw: 28 × 28, as MNIST (${answer.timing_ms} ms)`));
  return seen;
}

function renderAnswer(answer) {
  const u = answer.uncertainty;
  const shown = u.mean_probabilities || answer.probabilities;
  result.replaceChildren();

  const head = el("div", { class: "answer-head" });
  head.append(el("span", { class: "big-digit", "data-testid": "digit-value" }, String(answer.digit)));
  const verdict = u.unsure ? "Not sure" : "Confident";
  head.append(el("span", { class: u.unsure ? "verdict unsure" : "verdict" },
    `${verdict}: ${pct(answer.probabilities[answer.digit])}`));
  result.append(head);

  const list = el("ol", { class: "bars", "aria-label": "Probability of each digit" });
  shown.forEach((p, d) => {
    const item = el("li", { class: d === answer.digit ? "top" : "" });
    item.append(el("span", { class: "bar-label" }, String(d)));
    const track = el("span", { class: "bar-track", role: "meter", "aria-valuemin": "0", "aria-valuemax": "1",
      "aria-valuenow": p.toFixed(3), "aria-label": `digit ${d}` });
    const fill = el("span", { class: "bar-fill" });
    fill.style.width = `${Math.max(0.5, 100 * p)}%`;
    track.append(fill);
    if (u.std) {
      const spread = el("span", { class: "bar-spread" });
      spread.style.left = `${Math.max(0, 100 * (p - u.std[d]))}%`;
      spread.style.width = `${Math.min(100, 200 * u.std[d])}%`;
      track.append(spread);
    }
    item.append(track, el("span", { class: "bar-value" }, pct(p)));
    list.append(item);
  });
  result.append(list);

  // Plain words first; the statistics under a toggle.
  const facts = el("p", { class: "facts" });
  const details = el("details", { class: "uncertainty-details" }, el("summary", {}, "How sure, in numbers"));
  if (u.method === "mc_dropout") {
    facts.textContent = `${Math.round(100 * u.agreement)} % of ${u.samples} runs with dropout give the same digit. ` +
      "Grey whiskers: how much the runs differ.";
    details.append(el("p", {}, `Predictive entropy ${u.entropy.toFixed(2)} nats, of which the model's own doubt ` +
      `(mutual information) ${u.mutual_information.toFixed(2)}. Above ${u.unsure_threshold_nats} nats it says "not sure".`));
  } else {
    facts.textContent = "One run of the network.";
    details.append(el("p", {}, `Softmax entropy ${u.entropy.toFixed(2)} nats.`));
  }
  result.append(facts, details);

  if (answer.input) result.append(whatTheModelSaw(answer));
}

// ---------------------------------------------------------------------------------
// Autoencoders: the same drawing, squeezed, rebuilt, denoised, scored and mapped
// ---------------------------------------------------------------------------------

const aeView = $("ae-view");

async function askAutoencoder(blob, ticket) {
  if (!aeView) return; // no autoencoder on this server
  const form = new FormData();
  form.append("image", blob, "digit.png");
  try {
    const response = await fetch("/api/autoencoder", { method: "POST", body: form });
    const body = await response.json().catch(() => ({}));
    if (ticket !== pending) return;
    if (!response.ok) {
      aeView.replaceChildren(el("p", { class: "error" }, body.error || `the server answered ${response.status}`));
      return;
    }
    renderAutoencoder(body);
  } catch (err) {
    aeView.replaceChildren(el("p", { class: "error" }, "Could not reach the server: " + err.message));
  }
}

function picture(png, label, testid) {
  const figure = el("figure", { class: "ae-picture" });
  const attrs = { src: `data:image/png;base64,${png}`, width: "84", height: "84", alt: label };
  if (testid) attrs["data-testid"] = testid;
  figure.append(el("img", attrs), el("figcaption", {}, label));
  return figure;
}

function renderAutoencoder(answer) {
  const row = el("div", { class: "ae-row" });
  row.append(picture(answer.input_png, "What it got (28 × 28)", "ae-input"),
             picture(answer.reconstruction_png, `Rebuilt from ${answer.code.length} numbers`, "ae-reconstruction"));
  if (answer.noisy_png) {
    row.append(picture(answer.noisy_png, `With noise (σ ${answer.noise_std})`),
               picture(answer.denoised_png, "Cleaned up by the denoiser"));
  }
  const verdict = el("p", { class: answer.anomaly ? "verdict unsure" : "verdict", "data-testid": "ae-verdict" });
  if (answer.anomaly === null) {
    verdict.textContent = `Reconstruction error ${answer.reconstruction_error.toFixed(2)}.`;
  } else {
    verdict.textContent = (answer.anomaly ? "Unusual: not much like the digits it learnt from. " : "Looks like a digit. ") +
      `Reconstruction error ${answer.reconstruction_error.toFixed(2)}, higher than ${answer.percentile.toFixed(1)} % ` +
      `of MNIST's test digits (unusual above ${answer.anomaly_percentile} %).`;
  }
  const codeBox = el("div", { class: "ae-code", role: "img", "aria-label": `The code: ${answer.code.length} numbers` });
  const scale = Math.max(...answer.code.map(Math.abs), 1e-6);
  for (const value of answer.code) {
    const bar = el("span", { class: value < 0 ? "neg" : "pos" });
    bar.style.height = `${Math.max(1, (50 * Math.abs(value)) / scale)}%`;
    codeBox.append(bar);
  }
  const parts = [row, verdict, el("p", { class: "hint" }, "The code, one bar per number (up: positive, down: negative):"), codeBox];
  if (answer.latent_map) {
    const [fx, fy] = answer.latent_map.position;
    const map = el("div", { class: "ae-map" });
    map.append(el("img", { src: answer.latent_map.url, width: "400", height: "400",
      alt: "Map of MNIST's test digits by their 2-number code, coloured by digit" }));
    const dot = el("span", { class: "ae-dot", "data-testid": "ae-map-dot", title: "your drawing" });
    dot.style.left = `${100 * fx}%`;
    dot.style.top = `${100 * fy}%`;
    map.append(dot);
    parts.push(el("p", { class: "hint" }, "Where the drawing lands among the test digits (the black and white dot):"), map);
  }
  aeView.replaceChildren(...parts);
}

// ---------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------

predictButton.addEventListener("click", readDrawing);
$("digit-clear").addEventListener("click", () => {
  clearTimeout(autoTimer);
  pending++;
  setBusy(false);
  clearCanvas();
  showError("");
  result.replaceChildren(el("p", { class: "placeholder" }, "The answer appears here."));
});
$("digit-file").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) askDigits(file);
});

clearCanvas();

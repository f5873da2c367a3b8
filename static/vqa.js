// Ask about a picture: pick or drop an image, ask questions, see the top answers, where
// the model looked, and plain warnings. Loaded after app.js, whose `$`, `el`, `pct`,
// `showMessage` and `markBusy` it uses. Nothing is kept on the server: the image is sent again with each question.
"use strict";

const vqa = {
  image: null, // the Blob being asked about
  sample: null, // the sample scene it came from, if any (its questions carry true answers)
  imageUrl: null, // an object URL to revoke when the image changes
  pending: 0,
  worlds: {}, // name -> the world as GET /api/vqa/worlds lists it (title, evidence kind, what it knows)
};

const drop = $("vqa-drop");
const preview = $("vqa-preview");
const heatmap = $("vqa-heatmap");
const boxesLayer = $("vqa-boxes");
const answersBox = $("vqa-answers");
const historyList = $("vqa-history");
const warningsBox = $("vqa-warnings");
const vqaError = $("vqa-error");
const askButton = $("vqa-ask");
const questionBox = $("vqa-question");
const suggestions = $("vqa-suggestions");
const worldsBox = $("vqa-worlds");

function showVqaError(message) {
  showMessage(vqaError, message);
}

function setVqaBusy(busy) {
  markBusy(answersBox, askButton, busy, "Thinking…", "Ask");
}

// -- the image ------------------------------------------------------------------------

function useImage(blob, sample = null) {
  if (!blob.type.startsWith("image/")) {
    showVqaError(`That file is not an image (${blob.type || "unknown type"}). Choose a PNG, JPEG, WebP or GIF.`);
    return;
  }
  if (vqa.imageUrl) URL.revokeObjectURL(vqa.imageUrl);
  vqa.image = blob;
  vqa.sample = sample;
  vqa.imageUrl = URL.createObjectURL(blob);
  preview.src = vqa.imageUrl;
  preview.alt = sample ? sample.title || `Sample scene ${sample.id}` : "Your image";
  preview.hidden = false;
  heatmap.hidden = true;
  boxesLayer.replaceChildren();
  $("vqa-heatmap-legend").hidden = true;
  if (sample) $("vqa-image").value = ""; // the file label must not keep the last upload's name
  $("vqa-stage-hint").hidden = true;
  historyList.replaceChildren(); // the history belongs to one image
  warningsBox.replaceChildren();
  answersBox.replaceChildren(el("p", { class: "placeholder" }, "Now ask a question about it."));
  showVqaError("");
  showSuggestions(sample);
  worldsBox.querySelectorAll(".thumb").forEach((b) => b.setAttribute("aria-pressed", String(sample !== null && b.dataset.id === sample.id)));
}

function showSuggestions(sample) {
  suggestions.replaceChildren();
  if (!sample) return;
  suggestions.append(el("span", { class: "hint" }, "Try: "));
  for (const q of sample.questions) {
    const chip = el("button", { type: "button", class: "chip" }, q.question);
    chip.addEventListener("click", () => {
      questionBox.value = q.question;
      ask();
    });
    suggestions.append(chip);
  }
}

$("vqa-image").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) useImage(file);
});

drop.addEventListener("click", () => $("vqa-image").click());
drop.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    $("vqa-image").click();
  }
});
for (const name of ["dragenter", "dragover"]) {
  drop.addEventListener(name, (event) => {
    event.preventDefault();
    drop.classList.add("dragging");
  });
}
drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("dragging");
  const file = event.dataTransfer.files[0];
  if (file) useImage(file);
});

// -- asking -----------------------------------------------------------------------------

function trueAnswerOf(question) {
  const q = vqa.sample && vqa.sample.questions.find((s) => s.question.toLowerCase() === question.toLowerCase());
  return q && q.answer !== undefined ? q.answer : null; // sample photos suggest questions without answers
}

function worldTitle(name) {
  return (vqa.worlds[name] && vqa.worlds[name].title) || name;
}

function renderWarnings(body) {
  warningsBox.replaceChildren();
  const reason = body.world_reason ? ` (${body.world_reason})` : "";
  warningsBox.append(el("p", { class: "note", "data-testid": "vqa-world-note", "data-world": body.world },
    `${worldTitle(body.world)}: answered by this world’s models${reason}.`));
  if (body.out_of_distribution) {
    const why = body.evidence && body.evidence.unusual_reason ? `: ${body.evidence.unusual_reason}` : "";
    warningsBox.append(el("p", { class: "warning", "data-testid": "vqa-ood" },
      `This picture is unusual for these models${why}. Any answer is a guess.`));
  }
  if (body.corrections.length) {
    const read = body.corrections.map((c) => `“${c.from}” as “${c.to}”`).join(", ");
    warningsBox.append(el("p", { class: "note", "data-testid": "vqa-read-as" }, `Read ${read}.`));
  }
  // With no answer the note is the headline itself (`headline`): said once.
  if (body.note && body.answers.length) warningsBox.append(el("p", { class: "note", "data-testid": "vqa-note" }, body.note));
}

function answerBars(body) {
  const list = el("ol", { class: "bars vqa-bars" });
  for (const a of body.answers) {
    const item = el("li");
    const bar = el("span", { class: "bar-track", role: "img", "aria-label": `${a.answer}: ${pct(a.probability)}` });
    const fill = el("span", { class: "bar-fill" });
    fill.style.width = `${Math.max(0.5, 100 * a.probability)}%`;
    bar.append(fill);
    item.append(el("span", {}, a.answer), bar, el("span", { class: "bar-value" }, pct(a.probability)));
    list.append(item);
  }
  return list;
}

// Out of scope: the sentence instead of bars. A guess: said in words, not in bold, no bars.
function headline(body) {
  if (!body.question_in_scope) {
    return el("p", { class: "out-of-scope", "data-testid": "vqa-scope" }, body.scope_note);
  }
  const top = body.answers[0];
  if (!top) {
    return el("p", { class: "guess-answer", "data-testid": "vqa-unsure" }, body.note || "It cannot tell.");
  }
  if (body.guess) {
    return el("p", { class: "guess-answer", "data-testid": "vqa-guess" },
      `A guess: “${top.answer}” (${pct(top.probability)}). It is not sure of this answer.`);
  }
  return el("p", { class: "top-answer" }, top.answer);
}

function historyEntry(body, truth) {
  const entry = el("li");
  const top = body.answers[0];
  const said = !body.question_in_scope ? "can't answer this" : top ? top.answer : "can't tell";
  const sure = body.question_in_scope && top && !body.guess;
  entry.append(el("span", { class: "world", "data-testid": "vqa-history-world" }, body.world), " ",
    el("span", { class: "q" }, body.question), " → ", sure ? el("strong", {}, said) : el("em", {}, top && body.guess ? `guess: ${said}` : said));
  if (top) entry.append(` (${pct(top.probability)})`);
  if (body.out_of_distribution) entry.append(el("span", { class: "wrong" }, " unusual picture"));
  if (truth !== null && truth !== said) entry.append(el("span", { class: "wrong" }, ` true: ${truth}`));
  return entry;
}

// -- photos: the boxes over the picture and the evidence beside the answer ----------------

const SVG = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

// Each world's evidence has a `kind`; a kind without a drawing here is listed as it came.
const EVIDENCE = {
  photo: { boxes: (ev) => photoBoxes(ev), block: photoEvidence },
  // A scene answered by a program: every parsed object outlined, those the answer rests on solid.
  shapes: { boxes: (ev) => (ev.objects || []).map((o) => ({ label: `${o.size} ${o.color} ${o.shape}`, box: o.box, score: o.used ? 1 : 0 })), block: shapesEvidence },
  // A chart: the elements the question is about are outlined, the whole table is listed.
  chart: { boxes: (ev) => ev.rows.filter((r) => r.about).map((r) => ({ label: r.label, box: r.box, score: 1 })), block: chartEvidence },
};

// Numbered boxes over the picture, their labels listed beside it: labels drawn over a
// photo with many boxes cover each other until none can be read.
function renderBoxes(body) {
  boxesLayer.replaceChildren();
  const kind = body.evidence && EVIDENCE[body.evidence.kind];
  const objects = kind ? kind.boxes(body.evidence) : [];
  if (!objects.length || !preview.naturalWidth) return;
  const [w, h] = [preview.naturalWidth, preview.naturalHeight];
  boxesLayer.setAttribute("viewBox", `0 0 ${w} ${h}`);
  const line = Math.max(2, Math.round(Math.max(w, h) / 200));
  const [tagW, tagH] = [14 * line, 11 * line];
  const placed = []; // tags so far: a tag that would cover one moves right, then down
  const covers = (x, y) => placed.some(([px, py]) => Math.abs(px - x) < tagW && Math.abs(py - y) < tagH);
  objects.forEach((o, i) => {
    const [x1, y1, x2, y2] = o.box;
    let [x, y] = [Math.min(x1, w - tagW), Math.min(y1, h - tagH)];
    for (let tries = 0; covers(x, y) && tries < 200; tries++) {
      x += tagW;
      if (x > w - tagW) [x, y] = [Math.max(0, x1 - 2 * tagW), y + tagH];
    }
    placed.push([x, y]);
    const group = svgEl("g", { class: o.score >= 0.35 ? "box sure" : "box unsure", "data-testid": "vqa-box" });
    const tag = svgEl("g", { class: "box-tag", "data-testid": "vqa-box-tag" });
    tag.append(svgEl("rect", { x, y, width: tagW, height: tagH }),
      svgEl("text", { x: x + 2 * line, y: y + 9 * line, "font-size": 9 * line }, String(i + 1)));
    group.append(svgEl("rect", { x: x1, y: y1, width: x2 - x1, height: y2 - y1, "stroke-width": line }), tag);
    boxesLayer.append(group);
  });
}

// The pose model's people: each skeleton drawn over the photo, joints as dots.
const BONES = [["left_shoulder", "right_shoulder"], ["left_shoulder", "left_elbow"], ["left_elbow", "left_wrist"],
  ["right_shoulder", "right_elbow"], ["right_elbow", "right_wrist"], ["left_shoulder", "left_hip"], ["right_shoulder", "right_hip"],
  ["left_hip", "right_hip"], ["left_hip", "left_knee"], ["left_knee", "left_ankle"], ["right_hip", "right_knee"],
  ["right_knee", "right_ankle"], ["nose", "left_eye"], ["nose", "right_eye"], ["left_eye", "left_ear"], ["right_eye", "right_ear"]];

function renderSkeletons(body) {
  const ev = body.evidence || {};
  if (!preview.naturalWidth || !(ev.person_mask_png || (ev.people && ev.people.length))) return;
  const [w, h] = [preview.naturalWidth, preview.naturalHeight];
  boxesLayer.setAttribute("viewBox", `0 0 ${w} ${h}`);
  if (ev.person_mask_png) {  // the segmentation's people, tinted under the skeletons
    boxesLayer.prepend(svgEl("image", { href: `data:image/png;base64,${ev.person_mask_png}`, x: 0, y: 0, width: w, height: h,
      preserveAspectRatio: "none", "data-testid": "vqa-person-mask" }));
  }
  const people = ev.people || [];
  const line = Math.max(2, Math.round(Math.max(w, h) / 250));
  for (const person of people) {
    const at = Object.fromEntries(person.keypoints.map((k) => [k.name, k]));
    const group = svgEl("g", { class: "skeleton", "data-testid": "vqa-skeleton" });
    for (const [a, b] of BONES) {
      if (at[a] && at[b]) group.append(svgEl("line", { x1: at[a].x, y1: at[a].y, x2: at[b].x, y2: at[b].y, "stroke-width": line }));
    }
    for (const k of person.keypoints) group.append(svgEl("circle", { cx: k.x, cy: k.y, r: line * 1.5 }));
    boxesLayer.append(group);
  }
}

// The detector's boxes, then the faces (with what the expression model reads in each).
function photoBoxes(ev) {
  const faces = (ev.faces || []).map((f) => ({ label: f.expression ? `face, ${f.expression}` : "face", box: f.box, score: f.score }));
  return [...ev.objects, ...faces];
}

function photoEvidence(ev) {
  const block = el("details", { class: "vqa-evidence", open: "", "data-testid": "vqa-evidence" });
  const classes = ev.classes.map((c) => `${c.label} ${pct(c.probability)}`).join(", ");
  block.append(el("summary", {}, "What the models saw"), el("p", {}, `Classifier: ${classes}.`));
  const boxes = photoBoxes(ev);
  if (boxes.length) {
    const list = el("ol", { class: "box-list", "data-testid": "vqa-box-list" });
    for (const o of boxes) list.append(el("li", { class: o.score >= 0.35 ? "" : "unsure" }, `${o.label} ${pct(o.score)}`));
    block.append(el("p", {}, ev.faces ? "Detector and faces (numbered as on the picture):" : "Detector (numbered as on the picture):"), list);
  } else {
    block.append(el("p", {}, "Detector: nothing."));
  }
  if (ev.people) {
    const said = ev.people.map((p, i) => `person ${i + 1} ${pct(p.score)}, ${p.posture || "posture not seen"}`);
    block.append(el("p", { "data-testid": "vqa-people" }, ev.people.length
      ? `Pose model (skeletons on the picture): ${said.join("; ")}.` : "Pose model: no one."));
  }
  if (ev.text && ev.text.length) block.append(el("p", {}, `Text read: ${ev.text.map((w) => w.text).join(" ")}.`));
  if (ev.picture) {
    const p = ev.picture;
    block.append(el("p", { "data-testid": "vqa-picture" }, `The whole picture: ${pct(p.coloured_share)} of its pixels have colour; mean brightness ${pct(p.lightness)}.`));
  }
  return block;
}

function shapesEvidence(ev) {
  if (ev.program) return programEvidence(ev);
  const block = el("details", { class: "vqa-evidence", "data-testid": "vqa-evidence" });
  block.append(el("summary", {}, "The scene check"), el("p", {}, `Background: ${pct(ev.background_share)} of the picture.`));
  if (ev.scene_score !== undefined) block.append(el("p", {}, `Scene score: ${ev.scene_score} (1 is the check's threshold).`));
  return block;
}

// The parsed scene and the program's steps: objects are numbered as on the picture (id + 1).
function programEvidence(ev) {
  const block = el("details", { class: "vqa-evidence", open: "", "data-testid": "vqa-evidence" });
  block.append(el("summary", {}, `The scene as parsed (${ev.objects.length} objects) and the question's program`));
  const objects = el("ol", { class: "box-list", "data-testid": "vqa-box-list" });
  for (const o of ev.objects) objects.append(el("li", { class: o.used ? "" : "unsure" }, `${o.size} ${o.color} ${o.shape} ${pct(o.confidence)}`));
  block.append(objects);
  const numbers = (ids) => ids.map((i) => `#${i + 1}`).join(", ") || "none";
  const steps = el("ol", { class: "program", "data-testid": "vqa-program" });
  for (const s of ev.program) {
    let kept = s.value !== undefined && s.value !== null ? `→ ${s.value}` : `→ ${numbers(s.objects || [])}`;
    if (s.too_close_to_call) kept += ` (too close to call: ${numbers(s.too_close_to_call)})`;
    steps.append(el("li", {}, `${s.words} ${kept}`));
  }
  block.append(el("p", {}, "Program:"), steps);
  if (ev.cached) block.append(el("p", { class: "note" }, "Parsed once for this picture, reused for this question."));
  if (ev.check) {
    const c = ev.check;
    block.append(el("p", { class: "note", "data-testid": "vqa-check" }, `The end-to-end FiLM model says ${c.answer} (${pct(c.probability)})${c.agrees ? ", and agrees" : ": it disagrees"}.`));
  }
  return block;
}

const CHART_KINDS = { vbar: "bar chart", hbar: "horizontal bar chart", pie: "pie chart", line: "line chart", dotline: "dot-line chart" };

// The table the reader read: every answer is computed from it, so it is shown whole.
function chartEvidence(ev) {
  const block = el("details", { class: "vqa-evidence", open: "", "data-testid": "vqa-evidence" });
  block.append(el("summary", {}, `The table read from the ${CHART_KINDS[ev.chart_kind] || ev.chart_kind}`));
  const table = el("table", { class: "chart-table", "data-testid": "vqa-chart-table" });
  const lines = ev.columns.length > 0;
  const head = el("tr");
  head.append(el("th", {}, "label"));
  for (const name of lines ? ev.columns : [ev.chart_kind === "pie" ? "share" : "value"]) head.append(el("th", {}, name));
  table.append(head);
  const number = (v) => (v === null || v === undefined ? "?" : Number(v.toPrecision(4)).toString());
  for (const row of ev.rows) {
    const tr = el("tr", row.about ? { class: "about" } : {});
    const label = el("td");
    label.append(el("span", { class: "swatch", style: `background:${row.colour}` }), row.label || `(unread, ${row.colour})`);
    tr.append(label);
    for (const v of lines ? row.values : [row.value]) tr.append(el("td", {}, number(v) + (ev.chart_kind === "pie" && v !== null ? " %" : "")));
    table.append(tr);
  }
  block.append(table);
  for (const note of ev.notes) block.append(el("p", { class: "note" }, note));
  if (ev.cached) block.append(el("p", { class: "note" }, "Read once for this picture, reused for this question."));
  if (ev.baseline) {
    // The article's CNN + LSTM, asked the same question: the anchor the reader is measured against.
    const b = ev.baseline;
    const verdict = b.agrees === null ? "" : b.agrees ? " (agrees)" : " (disagrees)";
    const said = `The article's CNN + LSTM (${b.model}), asked “${b.question}”, says ${b.answer} (${Math.round(b.probability * 100)} %)${verdict}.`;
    block.append(el("p", { class: "note baseline", "data-testid": "vqa-chart-baseline" }, said));
  }
  return block;
}

function anyEvidence(ev) {
  const block = el("details", { class: "vqa-evidence", "data-testid": "vqa-evidence" });
  block.append(el("summary", {}, "What the models saw"));
  for (const [key, value] of Object.entries(ev)) {
    if (key !== "kind") block.append(el("p", {}, `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`));
  }
  return block;
}

function evidenceBlock(body) {
  const ev = body.evidence;
  if (!ev) return null;
  const kind = EVIDENCE[ev.kind];
  return kind ? kind.block(ev) : anyEvidence(ev);
}

function renderAnswers(body) {
  const truth = trueAnswerOf(body.question);
  const facts = el("p", { class: "facts" }, `${body.model}, ${body.timing_ms} ms`);
  if (truth !== null) facts.textContent += ` · the true answer is “${truth}”`;
  const details = el("details", { class: "vqa-details" });
  details.append(el("summary", {}, "How it read the question"), el("p", {}, `Read as: “${body.read_as}”.`),
    el("p", {}, body.interpreted_as.length ? `Asked the models: ${body.interpreted_as.join(" · ")}` : "Nothing asked of the models."));
  const parts = [headline(body)];
  if (body.question_in_scope && body.answers.length && !body.guess) parts.push(answerBars(body));
  const evidence = evidenceBlock(body);
  answersBox.replaceChildren(...parts, ...(evidence ? [evidence] : []), facts, details);
  renderWarnings(body);
  renderBoxes(body);
  renderSkeletons(body);
  if (body.heatmap_png) {
    heatmap.src = `data:image/png;base64,${body.heatmap_png}`;
    heatmap.alt = `Where the model looked to answer “${body.question}”`;
  }
  heatmap.hidden = !(body.heatmap_png && $("vqa-explain").checked);
  $("vqa-heatmap-legend").hidden = heatmap.hidden;
  historyList.prepend(historyEntry(body, truth));
}

async function ask() {
  const question = questionBox.value.trim();
  if (!vqa.image) {
    showVqaError("Pick an image first: a sample scene below, or one of your own.");
    return;
  }
  if (!question) {
    showVqaError("Type a question first, for example “How many circles are there?”.");
    questionBox.focus();
    return;
  }
  const form = new FormData();
  form.append("image", vqa.image, "image.png");
  form.append("question", question);
  form.append("explain", $("vqa-explain").checked ? "true" : "false");
  form.append("model", $("vqa-model").value);
  const ticket = ++vqa.pending;
  setVqaBusy(true);
  showVqaError("");
  try {
    const response = await fetch("/api/vqa", { method: "POST", body: form });
    const body = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
    if (ticket !== vqa.pending) return;
    if (!response.ok) {
      showVqaError(body.error || `the server answered ${response.status}`);
      return;
    }
    renderAnswers(body);
  } catch (err) {
    if (ticket === vqa.pending) showVqaError("Could not reach the server: " + err.message);
  } finally {
    if (ticket === vqa.pending) setVqaBusy(false);
  }
}

$("vqa-form").addEventListener("submit", (event) => {
  event.preventDefault();
  ask();
});
$("vqa-explain").addEventListener("change", () => {
  heatmap.hidden = !($("vqa-explain").checked && heatmap.getAttribute("src"));
  $("vqa-heatmap-legend").hidden = heatmap.hidden;
});

// -- the worlds and their samples ------------------------------------------------------

function knowsBlock(world) {
  const knows = world.knows;
  const block = el("details", { class: "knows", "data-testid": "vqa-knows" });
  block.append(el("summary", {}, "What it knows"), el("p", {}, knows.summary));
  const kinds = el("ul");
  for (const q of knows.questions) kinds.append(el("li", {}, q));
  block.append(kinds);
  for (const [kind, words] of Object.entries(knows.words)) block.append(el("p", {}, `${kind}: ${words.join(", ")}`));
  for (const m of knows.measured) block.append(el("p", { class: "hint" }, `Measured: ${m.accuracy_percent} % right on ${m.set}.`));
  return block;
}

function worldRow(world) {
  const row = el("section", { class: "world", "data-world": world.name, "data-testid": "vqa-world" });
  const heading = el("h3", {}, world.title);
  if (!world.ready) heading.append(el("span", { class: "hint" }, " (its models are not loaded)"));
  const gallery = el("div", { class: "gallery", role: "list", "aria-label": `Samples: ${world.title}` });
  for (const sample of world.samples) gallery.append(sampleButton(sample, world));
  row.append(heading, gallery, knowsBlock(world));
  return row;
}

function sampleButton(sample, world) {
  const label = sample.title || `Sample ${sample.id}`;
  const button = el("button", { type: "button", class: "thumb", role: "listitem", "data-testid": "vqa-sample",
    "data-world": world.name, "data-id": sample.id, "aria-pressed": "false", "aria-label": label });
  button.append(el("img", { src: sample.image_url, width: "72", height: "72", alt: "" }));
  button.addEventListener("click", async () => {
    try {
      const image = await fetch(sample.image_url);
      useImage(await image.blob(), sample);
    } catch (err) {
      showVqaError("Could not load the sample: " + err.message);
    }
  });
  return button;
}

async function loadWorlds() {
  try {
    const response = await fetch("/api/vqa/worlds");
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const { worlds } = await response.json();
    vqa.worlds = Object.fromEntries(worlds.map((w) => [w.name, w]));
    worldsBox.replaceChildren(...worlds.map(worldRow));
  } catch (err) {
    // The samples are an extra; uploads work without them.
    worldsBox.replaceChildren(el("p", { class: "hint" }, "No samples: " + err.message));
  }
}

loadWorlds();

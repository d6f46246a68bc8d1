// The attnseq page: ask the API, draw the answer and its attention.
// Plain browser JavaScript, no build step; everything is built with DOM calls
// (never innerHTML), so model output can never inject markup.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { models: [], defaults: {}, limits: {}, task: "translation", history: [] };

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// Sentencepiece marks a word start with U+2581; show words, keep specials readable.
function shown(token) {
  if (token === "</s>") return "⟨end⟩";
  const text = token.replace(/\u2581/g, " ").trim();
  return text || "·";
}

// Subword pieces of one word sit together; a piece that starts a word gets a gap.
function tokenClass(tokens, token, kind) {
  const pieces = tokens.some((t) => t.startsWith("\u2581"));
  const joined = pieces && !token.startsWith("\u2581") && token !== "</s>";
  return `tok ${kind}${joined ? " joined" : ""}`;
}

function setError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function setStatus(message) {
  $("status").textContent = message || "";
}

async function api(path, options) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new Error("the server did not answer (" + err.message + ")");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || "request failed with status " + response.status);
  return body;
}

// ---------------------------------------------------------------- attention

// One card: source tokens, output tokens, the heatmap; hovering or focusing an
// output token highlights the source tokens (or image regions) it attended to.
function attentionCard({ title, source, output, attention, srcTokens, outTokens, timing, picture }) {
  const card = el("article", { class: "result" });
  if (title) card.append(el("p", { class: "label", text: title }));

  let srcNodes = [];
  if (srcTokens) {
    card.append(el("p", { class: "label", text: source || "Source" }));
    srcNodes = srcTokens.map((t, j) => el("span", { class: tokenClass(srcTokens, t, "src-tok"), "data-j": j, text: shown(t) }));
    card.append(el("div", { class: "tokens source" }, srcNodes));
  }
  if (picture) card.append(picture.node);

  card.append(el("p", { class: "label", text: output || "Output" }));
  const outNodes = outTokens.map((t, i) =>
    el("span", {
      class: tokenClass(outTokens, t, "out-tok"),
      tabindex: "0",
      role: "button",
      "data-i": i,
      "aria-label": "output word " + (i + 1) + ": " + shown(t),
      text: shown(t),
    })
  );
  card.append(el("div", { class: "tokens output" }, outNodes));
  const explain = el("p", { class: "explain", "aria-live": "polite" });
  card.append(explain);

  let rows = [];
  let colHeads = [];
  if (srcTokens) {
    const table = heatmap(srcTokens, outTokens, attention);
    rows = Array.from(table.tBodies[0].rows);
    colHeads = Array.from(table.tHead.rows[0].cells).slice(1);
    card.append(el("p", { class: "label", text: "Attention: a row per output word, a column per source word" }));
    card.append(el("div", { class: "heatmap-wrap" }, [table]));
  }
  if (timing) {
    card.append(
      el("p", {
        class: "timing",
        text: `${timing.total_ms.toFixed(0)} ms (model ${timing.compute_ms.toFixed(0)} ms, ` +
          `decoded together with ${timing.batch_items - 1} other input(s))`,
      })
    );
  }

  let active = -1;
  function activate(i) {
    if (i === active) return;
    clear();
    active = i;
    const weights = attention[i] || [];
    const top = Math.max(...weights, 1e-9);
    outNodes[i].classList.add("active");
    if (rows[i]) rows[i].classList.add("active");
    srcNodes.forEach((node, j) => {
      const w = weights[j] || 0;
      node.style.setProperty("--w", (w / top).toFixed(3));
      node.dataset.weight = w.toFixed(4);
      node.classList.add("attended");
      node.classList.toggle("strong", w / top > 0.6);
      if (colHeads[j]) colHeads[j].classList.toggle("attended", w / top > 0.5);
    });
    if (picture) picture.show(weights, top);
    let best = 0;
    weights.forEach((w, j) => { if (w > weights[best]) best = j; });
    const where = srcTokens ? `“${shown(srcTokens[best])}”` : "the highlighted region";
    explain.textContent =
      `“${shown(outTokens[i])}” looked most at ${where} (weight ${(weights[best] || 0).toFixed(2)}).`;
  }
  function clear() {
    if (active < 0) return;
    outNodes[active].classList.remove("active");
    if (rows[active]) rows[active].classList.remove("active");
    srcNodes.forEach((node) => {
      node.style.removeProperty("--w");
      node.classList.remove("attended", "strong");
      delete node.dataset.weight;
    });
    colHeads.forEach((th) => th.classList.remove("attended"));
    if (picture) picture.show(null);
    explain.textContent = "";
    active = -1;
  }

  outNodes.forEach((node, i) => {
    node.addEventListener("mouseenter", () => activate(i));
    node.addEventListener("focus", () => activate(i));
    node.addEventListener("click", () => activate(i));
    node.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (step === undefined) return;
      event.preventDefault();
      outNodes[Math.min(outNodes.length - 1, Math.max(0, i + step))].focus();
    });
  });
  rows.forEach((row, i) => row.addEventListener("mouseenter", () => activate(i)));
  card.addEventListener("mouseleave", () => {
    if (!card.contains(document.activeElement)) clear();
  });
  card.addEventListener("focusout", (event) => {
    if (!card.contains(event.relatedTarget)) clear();
  });
  return card;
}

function heatmap(srcTokens, outTokens, attention) {
  const table = el("table", { class: "heatmap", "aria-label": "attention weights" });
  const head = el("tr", {}, [el("th", { scope: "col", "aria-label": "output word" })]);
  for (const t of srcTokens) head.append(el("th", { scope: "col", text: shown(t) }));
  table.append(el("thead", {}, [head]));
  const body = el("tbody");
  outTokens.forEach((t, i) => {
    const row = el("tr", { "data-i": i }, [el("th", { scope: "row", text: shown(t) })]);
    srcTokens.forEach((s, j) => {
      const w = (attention[i] || [])[j] || 0;
      const cell = el("td", { class: "cell", title: `${shown(t)} → ${shown(s)}: ${w.toFixed(3)}` });
      cell.style.setProperty("--w", w.toFixed(3));
      row.append(cell);
    });
    body.append(row);
  });
  table.append(body);
  return table;
}

// An image with a grid over it; show(weights) tints each region by its weight.
function pictureWithGrid(url, grid) {
  const [h, w] = grid;
  const overlay = el("div", { class: "overlay", "aria-hidden": "true" });
  overlay.style.gridTemplateColumns = `repeat(${w}, 1fr)`;
  overlay.style.gridTemplateRows = `repeat(${h}, 1fr)`;
  const cells = [];
  for (let k = 0; k < h * w; k++) {
    const cell = el("div");
    cells.push(cell);
    overlay.append(cell);
  }
  const node = el("div", { class: "picture" }, [el("img", { src: url, alt: "the uploaded image" }), overlay]);
  return {
    node,
    show(weights, top) {
      cells.forEach((cell, k) => cell.style.setProperty("--w", weights ? ((weights[k] || 0) / top).toFixed(3) : "0"));
    },
  };
}

// ------------------------------------------------------------------- models

function modelsOf(task) {
  return state.models.filter((m) => m.task === task);
}

function fillModels() {
  const select = $("model");
  select.replaceChildren();
  const models = modelsOf(state.task);
  for (const m of models) {
    const langs = m.languages ? ` (${m.languages.source} → ${m.languages.target})` : "";
    select.append(el("option", { value: m.name, text: m.name + langs }));
  }
  if (state.defaults[state.task]) select.value = state.defaults[state.task];
  select.disabled = models.length === 0;
  setError(models.length ? "" : `no ${state.task} model loaded on this server`);
}

function selectTask(task) {
  state.task = task;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const selected = tab.dataset.task === task;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  }
  $("results").replaceChildren();
  setStatus("");
  fillModels();
}

async function loadModels() {
  const body = await api("/v1/models");
  state.models = body.models;
  state.defaults = body.defaults;
  state.limits = body.limits;
  $("beam").max = body.limits.max_beam;
  $("beam").value = body.limits.default_beam;
  $("source").maxLength = body.limits.max_chars * body.limits.max_sentences;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const none = modelsOf(tab.dataset.task).length === 0;
    tab.classList.toggle("unavailable", none);
    tab.title = none ? `no ${tab.dataset.task} model loaded` : "";
  }
  const first = ["translation", "chat", "caption"].find((t) => modelsOf(t).length) || "translation";
  selectTask(first);
}

// ------------------------------------------------------------------ actions

function beam() {
  return Number($("beam").value) || state.limits.default_beam || 5;
}

async function busy(form, message, work) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  setError("");
  setStatus(message);
  try {
    await work();
  } catch (err) {
    setStatus("");
    setError(err.message);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

async function translate(event) {
  event.preventDefault();
  const lines = $("source").value.split("\n").map((s) => s.trim()).filter(Boolean);
  if (!lines.length) return setError("type a sentence first");
  await busy($("translate-form"), "Translating…", async () => {
    const body = await api("/v1/translate", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: lines, beam: beam(), model: $("model").value || undefined }),
    });
    const cards = body.translations.map((t) =>
      attentionCard({
        source: "Source",
        output: "Translation",
        srcTokens: t.src_tokens,
        outTokens: t.out_tokens,
        attention: t.attention,
        timing: body.timing,
      })
    );
    $("results").replaceChildren(...cards);
    setStatus(`Translated ${cards.length} sentence(s) with ${body.model}.`);
  });
}

async function chat(event) {
  event.preventDefault();
  const message = $("chat-input").value.trim();
  if (!message) return setError("type a message first");
  await busy($("chat-form"), "Thinking…", async () => {
    const history = [...state.history, message];
    const body = await api("/v1/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ history, beam: beam(), model: $("model").value || undefined }),
    });
    state.history = [...history, body.reply];
    $("chat-log").append(el("li", { class: "user" }, [el("span", { text: message })]));
    const item = el("li", {}, [
      attentionCard({
        source: "Context the model read",
        output: "Reply",
        srcTokens: body.src_tokens,
        outTokens: body.out_tokens,
        attention: body.attention,
        timing: body.timing,
      }),
    ]);
    $("chat-log").append(item);
    $("chat-input").value = "";
    setStatus(`${body.model} replied.`);
  });
}

async function caption(event) {
  event.preventDefault();
  const file = $("image").files[0];
  if (!file) return setError("choose or drop an image first");
  if (state.limits.max_image_bytes && file.size > state.limits.max_image_bytes) {
    return setError(`the image is ${file.size} bytes; this server accepts up to ${state.limits.max_image_bytes}`);
  }
  await busy($("caption-form"), "Looking at the image…", async () => {
    const form = new FormData();
    form.append("image", file);
    form.append("beam", String(beam()));
    if ($("model").value) form.append("model", $("model").value);
    const body = await api("/v1/caption", { method: "POST", body: form });
    const picture = pictureWithGrid(URL.createObjectURL(file), body.grid);
    $("results").replaceChildren(
      attentionCard({ output: "Caption", outTokens: body.out_tokens, attention: body.attention, timing: body.timing, picture })
    );
    setStatus(`${body.model}: ${body.caption}`);
  });
}

function submitOnCtrlEnter(textarea, form) {
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

function setUp() {
  const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
  tabs.forEach((tab, k) => {
    tab.addEventListener("click", () => selectTask(tab.dataset.task));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step === undefined) return;
      const next = tabs[(k + step + tabs.length) % tabs.length];
      next.focus();
      selectTask(next.dataset.task);
    });
  });
  $("translate-form").addEventListener("submit", translate);
  $("chat-form").addEventListener("submit", chat);
  $("caption-form").addEventListener("submit", caption);
  $("chat-clear").addEventListener("click", () => {
    state.history = [];
    $("chat-log").replaceChildren();
  });
  submitOnCtrlEnter($("source"), $("translate-form"));
  submitOnCtrlEnter($("chat-input"), $("chat-form"));

  const drop = $("drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) {
      $("image").files = event.dataTransfer.files;
      $("caption-form").requestSubmit();
    }
  });

  loadModels().catch((err) => setError("cannot list the models: " + err.message));
}

document.addEventListener("DOMContentLoaded", setUp);

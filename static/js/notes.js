// The secretary's notes on the item under way (`notes_save`, docs/realtime.md). Every screen
// shows the state's `notes` as plain text (never innerHTML); those who may edit the minutes type
// them in a textarea that saves itself a moment after they stop typing. Each save names the
// revision it started from: when someone else saved meanwhile the server refuses it, the newer
// text is shown and the refused version is kept beside it to copy from.
(() => {
  "use strict";
  const live = window.assemblyLive;
  const strings = document.getElementById("notes-strings");
  if (!live || !strings) return;
  const { root, fmt } = live;
  const S = JSON.parse(strings.textContent);
  const section = root.querySelector("[data-notes-section]");
  if (!section) return;
  const form = section.querySelector("[data-notes-form]");
  const area = form ? form.querySelector("textarea") : null;
  const status = section.querySelector("[data-notes-status]");
  const view = section.querySelector("[data-notes-view]");
  const meta = section.querySelector("[data-notes-meta]");
  const title = section.querySelector("[data-notes-item]");
  const mine = section.querySelector("[data-notes-mine]");
  const mineText = section.querySelector("[data-notes-mine-text]");
  const lang = document.documentElement.lang || "es-AR";
  const times = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const AUTOSAVE_MS = 1500;

  // What the server is known to hold, per item: {revision, text}. The textarea holds `shown`.
  const known = new Map();
  let shown = null;
  let timer = null;
  let chain = Promise.resolve(); // saves go one after another, each from the revision before it

  const say = (text) => { if (status) status.textContent = text; };
  const dirty = () => !!area && shown !== null && known.has(shown) && area.value !== known.get(shown).text;

  function keepMine(text) {
    if (!mine) return;
    mineText.textContent = text;
    mine.hidden = false;
    mine.open = true;
  }

  function save(target = shown, text = area ? area.value : "") {
    clearTimeout(timer);
    timer = null;
    if (target === null || !known.has(target)) return chain;
    chain = chain.then(async () => {
      const base = known.get(target);
      if (base.text === text) return;
      if (target === shown) say(S.saving);
      const ack = await live.send("notes_save", { item_id: target, text, revision: base.revision });
      if (ack && ack.ok) {
        if (ack.revision >= known.get(target).revision) known.set(target, { revision: ack.revision, text });
      } else if (ack && ack.error.code === "notes_stale") {
        keepMine(text);
        if (target === shown) {
          // Back in step: the newer text shows now, or as soon as its state arrives.
          area.value = known.get(target).text;
          adopt(live.state() && live.state().notes);
        }
      }
      if (target === shown) say(dirty() ? (ack && ack.ok ? S.unsaved : S.not_saved) : S.saved);
      if (target === shown && dirty() && ack && ack.ok) schedule();
    });
    return chain;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(() => save(), AUTOSAVE_MS);
  }

  // The state's notes of the current item: a newer revision replaces what is shown, unless its
  // writer has unsaved changes (their next save is then refused as stale, and handled there).
  function adopt(notes) {
    if (!notes) return;
    if (notes.item_id !== shown) {
      if (dirty()) save(shown, area.value); // the room moved on: what was typed goes to its item
      shown = notes.item_id;
      known.set(shown, { revision: notes.revision, text: notes.text });
      if (area) area.value = notes.text;
      if (mine) mine.hidden = true;
      say("");
      return;
    }
    const held = known.get(shown);
    if (notes.revision > held.revision && !dirty()) {
      known.set(shown, { revision: notes.revision, text: notes.text });
      if (area) area.value = notes.text;
    }
  }

  function render(state) {
    const notes = state.notes;
    section.hidden = !notes;
    if (!notes) return;
    adopt(notes);
    const item = state.agenda.find((i) => i.id === notes.item_id);
    title.textContent = item ? item.title : "";
    const writing = !!form && state.meeting.status === "live" && !live.projector;
    if (form) form.hidden = !writing;
    view.hidden = writing;
    const text = notes.text || S.empty;
    if (view.textContent !== text) view.textContent = text;
    view.classList.toggle("empty", !notes.text);
    meta.textContent = notes.saved_by && notes.saved_at
      ? fmt(S.saved_by, { name: notes.saved_by, time: times.format(new Date(notes.saved_at)) })
      : "";
  }

  live.on("render", render);
  // Back after a lost connection: what was typed meanwhile is saved from the fresh state.
  live.on("joined", () => { if (dirty()) schedule(); });
  if (area) {
    area.addEventListener("input", () => { say(S.unsaved); schedule(); });
    form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
    window.addEventListener("beforeunload", (event) => {
      if (dirty()) { save(); event.preventDefault(); event.returnValue = ""; }
    });
  }
})();

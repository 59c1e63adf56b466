// The commitments review in the live room: while the current item is the review, every screen
// lists the open commitments (overdue first) with what this meeting recorded about each; the
// meeting's staff record an outcome for each one (`commitment_review`, docs/realtime.md).
// Renders from the room state that live.js receives; never puts data into innerHTML.
(() => {
  "use strict";
  const live = window.assemblyLive;
  const strings = document.getElementById("review-strings");
  if (!live || !strings) return;
  const { root, el, fmt } = live;
  const S = JSON.parse(strings.textContent);
  const section = root.querySelector("[data-review-section]");
  const list = root.querySelector("[data-review-list]");
  if (!section || !list) return;
  // Those who record attendance (the meeting's staff) record outcomes too.
  const staff = root.dataset.canRecord === "true";
  const lang = document.documentElement.lang || "es-AR";
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: "medium" });
  const day = (iso) => {
    const [y, m, d] = iso.split("-").map(Number);
    return dates.format(new Date(y, m - 1, d));
  };
  const forms = new Map(); // commitment id -> its form, kept across renders (what is being typed)

  function form(item) {
    if (forms.has(item.commitment_id)) return forms.get(item.commitment_id);
    const id = `review-${item.commitment_id}`;
    const status = el("select", { id: `${id}-status`, name: "status" }, [
      el("option", { value: "", text: S.unchanged }),
      ...["in_progress", "done", "blocked", "renegotiated", "dropped"].map((s) => el("option", { value: s, text: S.statuses[s] })),
    ]);
    const due = el("input", { id: `${id}-due`, name: "due_on", type: "date" });
    const note = el("input", { id: `${id}-note`, name: "note", type: "text", maxLength: 2000 });
    const node = el("form", { class: "row-form review-form", "data-review-form": String(item.commitment_id) }, [
      el("div", { class: "field" }, [el("label", { htmlFor: status.id, text: S.status }), status]),
      el("div", { class: "field" }, [el("label", { htmlFor: note.id, text: S.note }), note]),
      el("div", { class: "field" }, [el("label", { htmlFor: due.id, text: S.new_due_label }), due]),
      el("button", { type: "submit", class: "button primary", text: S.record }),
    ]);
    node.addEventListener("submit", async (event) => {
      event.preventDefault();
      const payload = { commitment_id: item.commitment_id };
      if (status.value) payload.status = status.value;
      if (note.value.trim()) payload.note = note.value.trim();
      if (due.value) payload.due_on = due.value;
      const ack = await live.send("commitment_review", payload);
      if (ack && ack.ok) { status.value = ""; note.value = ""; due.value = ""; }
    });
    forms.set(item.commitment_id, node);
    return node;
  }

  function outcomeText(outcome) {
    if (outcome.carried_forward) return S.carried;
    let text = `${S.outcome} ${S.statuses[outcome.status] || outcome.status}`;
    if (outcome.new_due_on) text += ` · ${fmt(S.new_due, { date: day(outcome.new_due_on) })}`;
    if (outcome.note) text += ` · ${outcome.note}`;
    return text;
  }

  function row(item) {
    const facts = [item.owners.join(", ")];
    if (item.due_on) facts.push(fmt(S.due, { date: day(item.due_on) }));
    facts.push(S.statuses[item.status] || item.status);
    const body = el("div", { class: "review-body" }, [
      el("p", { class: "review-what", text: item.what }),
      el("p", { class: "muted" }, [
        ...(item.overdue ? [el("strong", { class: "overdue", text: S.overdue }), document.createTextNode(" · ")] : []),
        document.createTextNode(facts.join(" · ")),
      ]),
    ]);
    if (item.outcome) body.appendChild(el("p", { class: "review-outcome", "data-outcome": item.outcome.status, text: outcomeText(item.outcome) }));
    const children = [body];
    const closed = item.status === "done" || item.status === "dropped";
    if (staff && !live.projector && !closed) children.push(form(item));
    return el("li", { "data-commitment-id": String(item.commitment_id) }, children);
  }

  live.on("render", (state) => {
    const review = state && state.commitments_review;
    section.hidden = !review;
    if (!review) return;
    // Someone else's update re-renders the list: whoever is typing keeps their place.
    const focused = document.activeElement;
    const rows = review.items.map(row);
    list.replaceChildren(...(rows.length ? rows : [el("li", { text: S.nothing })]));
    if (focused && focused !== document.activeElement && list.contains(focused)) focused.focus();
  });
})();

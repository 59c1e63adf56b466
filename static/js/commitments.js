// Commitments of the meeting, on every screen of the room: the list follows the room's state
// (live.js); the facilitator or secretary records one from the item under way or from a
// decision just taken; an owner marks their own done. See docs/realtime.md.
(() => {
  "use strict";
  const live = window.assemblyLive;
  const stringsNode = document.getElementById("commitment-strings");
  if (!live || !stringsNode) return;
  const T = JSON.parse(stringsNode.textContent);
  const { root, el, fmt, send, userId } = live;
  const form = root.querySelector("[data-commitment-form]");
  const canRecord = !!form;
  const list = root.querySelector('[data-list="commitments"]');
  const closed = new Set(["done", "dropped"]);
  const lang = document.documentElement.lang || "es-AR";
  const newId = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);
  // The same recording keeps its id until it succeeds: a resend is recognised by the server.
  let clientId = newId();
  let fromPoll = null; // {id, title} of the decided poll chosen, else the item under way

  const dateText = (iso) => {
    const [y, m, d] = iso.split("-").map(Number);
    return new Intl.DateTimeFormat(lang, { dateStyle: "medium" }).format(new Date(y, m - 1, d));
  };
  // The text is Markdown the server has rendered and cleaned (nh3); the projector shows it plain.
  const plain = (html) => {
    const box = document.createElement("div");
    box.innerHTML = html;
    return box.textContent.trim();
  };
  const ownerNames = (c) => c.owners.map((o) => (o.organisation ? `${o.organisation} (${o.name})` : o.name)).join(", ");

  function row(c) {
    const what = el("div", { class: "commitment-what" });
    what.innerHTML = c.what;
    const details = [ownerNames(c)];
    if (c.due_on) details.push(fmt(T.due, { date: dateText(c.due_on) }));
    if (c.source) details.push(fmt(T.from, { source: c.source }));
    const li = el("li", { class: "commitment-live", "data-commitment-id": String(c.id) }, [
      what,
      el("p", { class: "muted", text: details.join(" · ") }),
      el("p", {}, [el("span", { class: `status status-${c.status}`, "data-commitment-status": c.status, text: T.status[c.status] })]),
    ]);
    const mine = c.owners.some((o) => o.user_id === userId);
    if ((mine || canRecord) && !closed.has(c.status) && !live.projector) {
      li.appendChild(el("button", {
        type: "button", class: "button primary", text: T.mark_done,
        "data-commitment-done": String(c.id), "aria-label": fmt(T.mark_done_of, { what: plain(c.what) }),
      }));
    }
    return li;
  }

  function renderList(state) {
    if (!list) return;
    const all = state.commitments || [];
    if (live.projector) {
      // Only the latest few, on one line each: the projector's screen does not scroll.
      const last = Number(list.dataset.showLast || 3);
      list.replaceChildren(...all.slice(-last).map((c) => el("li", {
        text: `${plain(c.what)} · ${ownerNames(c)}${c.due_on ? " · " + fmt(T.due, { date: dateText(c.due_on) }) : ""} · ${T.status[c.status]}`,
        class: closed.has(c.status) ? "closed" : "",
      })));
      const section = root.querySelector("[data-commitments-section]");
      if (section) section.hidden = !all.length || state.meeting.status !== "live";
      return;
    }
    // Re-rendered only when something in it changed: a button keeps its focus otherwise.
    const signature = JSON.stringify(all);
    if (list.dataset.signature === signature) return;
    list.dataset.signature = signature;
    list.replaceChildren(...(all.length ? all.map(row) : [el("li", { class: "muted empty", text: T.none })]));
  }

  function renderForm(state) {
    if (!form) return;
    form.hidden = state.meeting.status !== "live";
    const current = state.agenda.find((i) => i.id === state.current_item_id);
    if (fromPoll && !(state.polls || []).some((p) => p.id === fromPoll.id)) fromPoll = null;
    const source = root.querySelector('[data-bind="commitment-source"]');
    if (fromPoll) source.textContent = fmt(T.from_decision, { source: fromPoll.title });
    else source.textContent = current ? fmt(T.from_current, { source: current.title }) : "";
    form.elements.poll_id.value = fromPoll ? String(fromPoll.id) : "";
    form.querySelector("[data-commitment-current]").hidden = !fromPoll;
  }

  // On each decided poll's card: record a commitment from it (polls.js keeps its cards).
  function renderDecisionButtons(state) {
    if (!canRecord || state.meeting.status !== "live") return;
    root.querySelectorAll(".poll-card.closed[data-poll-id]").forEach((card) => {
      if (card.querySelector("[data-commitment-from-poll]")) return;
      const poll = (state.polls || []).find((p) => String(p.id) === card.dataset.pollId);
      if (!poll) return;
      card.appendChild(el("button", {
        type: "button", class: "button", text: T.record_from_decision,
        "data-commitment-from-poll": String(poll.id), "aria-label": `${T.record_from_decision}: ${poll.title}`,
      }));
    });
  }

  live.on("render", (state) => {
    renderList(state);
    renderForm(state);
    renderDecisionButtons(state);
  });

  root.addEventListener("click", (event) => {
    const done = event.target.closest("[data-commitment-done]");
    if (done) {
      send("commitment_update", { commitment_id: Number(done.dataset.commitmentDone), status: "done" });
      return;
    }
    const fromButton = event.target.closest("[data-commitment-from-poll]");
    if (fromButton && form) {
      const poll = (live.state().polls || []).find((p) => String(p.id) === fromButton.dataset.commitmentFromPoll);
      if (!poll) return;
      fromPoll = { id: poll.id, title: poll.title };
      renderForm(live.state());
      form.elements.what.focus();
      return;
    }
    if (event.target.closest("[data-commitment-current]")) {
      fromPoll = null;
      renderForm(live.state());
      form.elements.what.focus();
    }
  });

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      event.stopPropagation();
      const data = new FormData(form);
      const payload = {
        client_id: clientId,
        what: String(data.get("what") || ""),
        owners: data.get("owner") ? [String(data.get("owner"))] : [],
        due_on: String(data.get("due_on") || "") || null,
      };
      if (data.get("poll_id")) payload.poll_id = Number(data.get("poll_id"));
      let ack = await send("commitment_record", payload);
      if (ack && !ack.ok && ack.error.code === "due_in_the_past" && window.confirm(T.confirm_past)) {
        ack = await send("commitment_record", { ...payload, confirm_past: true });
      }
      if (ack && ack.ok) {
        clientId = newId();
        fromPoll = null;
        form.reset();
        renderForm(live.state());
        form.elements.what.focus();
      }
    });
  }
})();

// The live room, the same script for phones, the facilitator's screen and the projector.
// The server sends the whole room state on join and after every change (coalesced); this
// script only renders it, and sends the person's actions. See docs/realtime.md.
(() => {
  "use strict";
  const root = document.getElementById("live-room") || document.getElementById("projector");
  if (!root) return;
  const T = JSON.parse(document.getElementById("live-strings").textContent);
  const meetingId = Number(root.dataset.meetingId);
  const userId = Number(root.dataset.userId || 0);
  const projectorToken = root.dataset.projectorToken || null;
  let state = null;
  let me = null;
  let roster = null;
  let skewMs = 0; // server clock minus ours
  let autoCheckIn = root.dataset.autoCheckIn || "";

  const $ = (selector) => root.querySelector(selector);
  const $$ = (selector) => Array.from(root.querySelectorAll(selector));
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_m, k) => (k in values ? values[k] : ""));
  // Counted sentences come in every plural form of the page's language (assembly/core/plurals.py).
  const pluralRules = new Intl.PluralRules(document.documentElement.lang || "es-AR");
  const plural = (forms, n) => forms[pluralRules.select(n)] || forms.other;
  const bind = (name, text) => $$(`[data-bind="${name}"]`).forEach((el) => { el.textContent = text; });
  const show = (selector, visible) => $$(selector).forEach((el) => { el.hidden = !visible; });
  const el = (tag, props = {}, children = []) => {
    const node = document.createElement(tag);
    Object.entries(props).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("data-") || k.startsWith("aria-")) node.setAttribute(k, v);
      else node[k] = v;
    });
    children.forEach((c) => node.appendChild(c));
    return node;
  };
  const clock = (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? `${h}:` : "") + `${mm}:${String(r).padStart(2, "0")}`;
  };
  const serverNow = () => Date.now() + skewMs;
  const since = (iso) => (iso ? (serverNow() - Date.parse(iso)) / 1000 : 0);

  const socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
  // Other scripts of the room (polls.js) follow the same state through these hooks.
  const hooks = { joined: [], render: [], you: [], disconnect: [] };
  const fire = (name, value) => hooks[name].forEach((fn) => {
    try { fn(value); } catch (error) { console.error(error); }
  });

  // The error stays until it is dismissed or something the person does next succeeds.
  function showError(message) {
    const text = $('[data-bind="error"]');
    if (!text) return;
    text.textContent = message;
    ($("[data-error-box]") || text).hidden = false;
  }
  function clearError() {
    const box = $("[data-error-box]") || $('[data-bind="error"]');
    if (box) box.hidden = true;
  }

  // An action already on its way is not sent again (a double tap): the second tap gets the
  // first one's answer. The server answers a repeated action as success too (docs/realtime.md).
  const inFlight = new Map();
  function send(event, payload = {}) {
    const body = { meeting_id: meetingId, ...payload };
    const key = event + JSON.stringify(body);
    if (inFlight.has(key)) return inFlight.get(key);
    const answer = new Promise((resolve) => {
      socket.timeout(10000).emit(event, body, (err, ack) => {
        inFlight.delete(key);
        if (err) { showError(T.reconnecting); resolve(null); return; }
        if (!ack.ok) showError(ack.error.message);
        else clearError();
        // `you` is the sender's own situation; never another person's.
        if (ack.ok && ack.you && ack.you.user_id === userId) applyYou(ack.you);
        resolve(ack);
      });
    });
    inFlight.set(key, answer);
    return answer;
  }

  function applyState(next) {
    if (state && next.version < state.version && next.meeting.id === state.meeting.id) return;
    skewMs = Date.parse(next.now) - Date.now();
    state = next;
    render();
  }
  function applyYou(next) { me = next; render(); fire("you", me); }

  socket.on("connect", () => {
    bind("connection", T.connected);
    const payload = projectorToken ? { projector_token: projectorToken } : {};
    socket.emit("join", projectorToken ? payload : { meeting_id: meetingId }, (ack) => {
      if (!ack || !ack.ok) { if (ack) showError(ack.error.message); return; }
      clearError(); // back in step: whatever failed while away no longer stands
      state = null; // a fresh join is the truth, whatever version we had
      if (ack.you) me = ack.you;
      if (ack.roster) roster = ack.roster;
      applyState(ack.state);
      fire("joined", ack);
      if (autoCheckIn && me && !me.present && ack.state.meeting.status === "live") {
        send("check_in", { method: autoCheckIn });
        autoCheckIn = "";
      }
    });
  });
  socket.on("disconnect", () => { bind("connection", T.reconnecting); fire("disconnect"); });
  socket.io.on("reconnect_attempt", () => bind("connection", T.reconnecting));
  socket.on("state", applyState);
  socket.on("you", (next) => { if (next.user_id === userId) applyYou(next); });
  socket.on("roster", (data) => { if (data.meeting_id === meetingId) { roster = data.people; render(); } });
  socket.on("error", (body) => { if (body && body.message) showError(body.message); });

  function renderAgenda() {
    const list = $('[data-list="agenda"]');
    if (!list) return;
    const canRun = root.dataset.canRun === "true";
    list.replaceChildren(...state.agenda.map((item) => {
      const current = item.id === state.current_item_id;
      const li = el("li", {
        class: "agenda-item" + (current ? " current" : "") + (item.parent_id ? " sub" : ""),
        "data-item-id": String(item.id),
        "aria-current": current ? "step" : "false",
      });
      li.appendChild(el("span", { class: "item-title", text: item.title }));
      li.appendChild(el("span", { class: "item-time", "data-timer-item": String(item.id) }));
      if (canRun && !current && state.meeting.status === "live") {
        li.appendChild(el("button", {
          type: "button", class: "button small", text: T.go,
          "data-action": "item_go", "data-value": String(item.id),
        }));
      }
      return li;
    }));
  }

  function renderFloor() {
    const floor = state.floor;
    bind("speaker", floor.speaking ? `${floor.speaking.name} · ${T.kinds[floor.speaking.kind]}` : T.nobody_speaking);
    bind("speaker-limit", clock(state.meeting.speaking_limit_seconds));
    const queue = $('[data-list="queue"]');
    if (queue) {
      // The projector shows the next few and how many more: the list must fit its screen.
      const first = Number(queue.dataset.showFirst || 0);
      const cut = first && floor.queue.length > first + 1;
      const items = (cut ? floor.queue.slice(0, first) : floor.queue).map((q) => el("li", {
        class: q.kind === "point_of_order" ? "point-of-order" : "",
        text: `${q.name} · ${T.kinds[q.kind]}`,
      }));
      if (cut) items.push(el("li", { class: "more", text: fmt(T.more_waiting, { count: floor.queue.length - first }) }));
      queue.replaceChildren(...(items.length ? items : [el("li", { class: "muted empty", text: T.queue_empty })]));
    }
    if (!me) return;
    const position = floor.queue.findIndex((q) => q.user_id === me.user_id);
    const speaking = floor.speaking && floor.speaking.user_id === me.user_id;
    bind("me-floor", speaking ? T.speaking_you : position >= 0 ? fmt(T.in_queue, { position: position + 1 }) : "");
    show('[data-action="floor_withdraw"]', position >= 0);
    show('[data-form="floor_request"]', position < 0 && me.present && state.meeting.status === "live");
  }

  function renderAttendance() {
    const a = state.attendance;
    const forms = a.basis === "organisations" ? T.plurals.quorum_organisations : T.plurals.quorum_members;
    const text = plural(forms, a.eligible);
    bind("quorum-flag", a.met ? T.quorum_met : T.quorum_missing);
    $$('[data-bind="quorum-flag"]').forEach((n) => n.classList.toggle("met", a.met));
    bind("quorum-text", fmt(text, a));
    bind("attendance-text", fmt(T.present, { count: a.present }) + (a.proxies ? " · " + fmt(T.proxies, { count: a.proxies }) : ""));
  }

  function renderMe() {
    if (!me) return;
    const live = state.meeting.status === "live";
    let status = me.present ? T.you_present : T.you_absent;
    if (me.present && me.minutes_late !== null) {
      status += " " + (me.minutes_late > 0 ? fmt(T.you_late, { minutes: me.minutes_late }) : T.you_on_time);
    }
    bind("me-status", status);
    let proxy = "";
    if (me.represented_by) proxy = fmt(T.represented_by, { name: me.represented_by.name });
    if (me.proxies_held.length) proxy = fmt(T.holding, { names: me.proxies_held.map((p) => p.name).join(", ") });
    bind("me-proxy", proxy);
    show('[data-action="check_in"]', live && !me.present);
    show('[data-action="check_out"]', live && me.present);
    show('[data-form="proxy_self"]', live && !me.present && !me.represented_by);
    show('[data-action="proxy_revoke_self"]', live && !!me.represented_by);
  }

  function option(value, label) { return el("option", { value: String(value), text: label }); }

  function renderRoster() {
    const body = $('[data-list="roster"]');
    if (!roster) return;
    const present = roster.filter((p) => p.present);
    const absent = roster.filter((p) => !p.present && !p.represented_by);
    $$('[data-list="present"]').forEach((s) => s.replaceChildren(...present.map((p) => option(p.user_id, p.name))));
    $$('[data-list="absent"]').forEach((s) => s.replaceChildren(...absent.map((p) => option(p.user_id, p.name))));
    if (!body) return;
    const live = state && state.meeting.status === "live";
    body.replaceChildren(...roster.map((p) => {
      let status = p.present ? T.present_yes : T.present_no;
      if (p.present && p.minutes_late !== null) status += " · " + (p.minutes_late > 0 ? fmt(T.late, { minutes: p.minutes_late }) : T.on_time);
      const action = p.present ? "check_out" : "check_in";
      const cell = el("td");
      if (live) {
        cell.appendChild(el("button", {
          type: "button", class: "button small", text: p.present ? T.mark_left : T.mark_present,
          "data-action": action, "data-user": String(p.user_id),
          "aria-label": `${p.present ? T.mark_left : T.mark_present}: ${p.name}`,
        }));
      }
      return el("tr", { "data-user-id": String(p.user_id) }, [
        el("td", { text: p.name }), el("td", { text: status }), cell,
      ]);
    }));
  }

  function render() {
    if (!state) return;
    const status = state.meeting.status;
    bind("status", T.status[status]);
    // Parts of a screen that belong to some moments only (the projector's check-in code, ...).
    root.dataset.status = status;
    // As polls.js decides: the projector shows the poll being voted, or else the latest result.
    root.dataset.polls = (state.polls || []).some((p) => p.status === "open" || p.status === "closed") ? "shown" : "none";
    $$("[data-show-when]").forEach((n) => { n.hidden = !n.dataset.showWhen.split(" ").includes(status); });
    const live = state.meeting.status === "live";
    show('[data-action="meeting_start"]', state.meeting.status === "convened");
    show('.controls [data-action="item_next"], .controls [data-action="timer"], [data-action="meeting_end"]', live);
    renderAgenda();
    renderFloor();
    renderAttendance();
    renderMe();
    renderRoster();
    tick();
    fire("render", state);
  }

  // Timers run on every screen from the state's times, corrected by the server's clock.
  function tick() {
    if (!state) return;
    state.agenda.forEach((item) => {
      const elapsed = item.elapsed_seconds + (item.running_since ? since(item.running_since) : 0);
      $$(`[data-timer-item="${item.id}"]`).forEach((node) => {
        node.textContent = `${clock(elapsed)} · ${fmt(T.planned, { minutes: item.planned_minutes })}`;
        node.classList.toggle("over", elapsed > item.planned_minutes * 60);
      });
    });
    const current = state.agenda.find((i) => i.id === state.current_item_id);
    if (current) {
      const elapsed = current.elapsed_seconds + (current.running_since ? since(current.running_since) : 0);
      bind("item-title", current.title);
      bind("item-timer", clock(elapsed));
      bind("item-planned", fmt(T.planned, { minutes: current.planned_minutes }));
      $$('[data-bind="item-timer"]').forEach((n) => n.classList.toggle("over", elapsed > current.planned_minutes * 60));
    }
    const speaking = state.floor.speaking;
    const spoken = speaking ? since(speaking.started_at) : 0;
    bind("speaker-timer", clock(spoken));
    $$('[data-bind="speaker-timer"]').forEach((n) => n.classList.toggle("over", spoken > state.meeting.speaking_limit_seconds));
  }
  setInterval(tick, 250);

  window.assemblyLive = {
    root, socket, send, showError, clearError, el, fmt, meetingId, userId,
    projector: !!projectorToken,
    canRun: root.dataset.canRun === "true",
    state: () => state,
    me: () => me,
    on: (name, fn) => { hooks[name].push(fn); },
  };

  let lastAction = null;
  root.addEventListener("click", (event) => {
    if (event.target.closest("[data-dismiss-error]")) {
      clearError();
      // Back to the control that was used, if it is still there, rather than nowhere.
      if (lastAction && lastAction.isConnected && !lastAction.closest("[hidden]")) lastAction.focus();
      return;
    }
    const button = event.target.closest("[data-action]");
    if (!button || !root.contains(button)) return;
    lastAction = button;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const action = button.dataset.action;
    const payload = {};
    if (action === "timer") payload.action = button.dataset.value;
    if (action === "item_go") payload.item_id = Number(button.dataset.value);
    if (button.dataset.user) payload.user_id = Number(button.dataset.user);
    if (action === "proxy_revoke_self") { send("proxy_revoke"); return; }
    send(action, payload);
  });
  // Someone absent choosing who holds their proxy asks for the people present right then.
  root.addEventListener("focusin", async (event) => {
    const select = event.target.closest('[data-list="present-others"]');
    if (!select) return;
    const ack = await send("present_people");
    if (ack && ack.ok) {
      const chosen = select.value;
      select.replaceChildren(...ack.people.filter((p) => p.user_id !== userId).map((p) => option(p.user_id, p.name)));
      select.value = chosen;
    }
  });
  root.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-form]");
    if (!form) return;
    event.preventDefault();
    lastAction = event.submitter || lastAction;
    const data = Object.fromEntries(new FormData(form).entries());
    if (form.dataset.form === "floor_request") send("floor_request", { kind: data.kind });
    if (form.dataset.form === "proxy_self") send("proxy_grant", { holder_id: Number(data.holder_id) });
    if (form.dataset.form === "proxy_grant") {
      send("proxy_grant", { grantor_id: Number(data.grantor_id), holder_id: Number(data.holder_id) });
    }
  });
})();

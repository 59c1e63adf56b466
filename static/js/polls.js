// Polls in the live room: drafts and opening/closing for facilitators, a ballot for each vote
// the person may cast, progress, running counts and results. Renders from the room state that
// live.js receives (see docs/realtime.md); never puts data into innerHTML.
//
// A ballot gets a client-made id and stays "pending" (kept in localStorage too) until the server
// acknowledges it. After a reconnection every pending ballot is sent again with the same id:
// the server recognises it and acknowledges it again without counting it twice.
(() => {
  "use strict";
  const live = window.assemblyLive;
  if (!live || !document.getElementById("poll-strings")) return;
  const { root, socket } = live;
  const el = (tag, props = {}, children = []) => {
    const node = document.createElement(tag);
    Object.entries(props).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (typeof v === "boolean") node[k] = v;
      else if (k === "value") node.value = v;
      else node.setAttribute(k, String(v));
    });
    children.forEach((c) => node.appendChild(c));
    return node;
  };
  const P = JSON.parse(document.getElementById("poll-strings").textContent);
  const X = P.explain;
  const lang = document.documentElement.lang || "es-AR";
  const decimals = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  const oneDecimal = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const lists = Intl.ListFormat ? new Intl.ListFormat(lang, { style: "long", type: "conjunction" }) : null;
  const pollUrl = root.dataset.pollUrl || "";
  const storageKey = `assembly:ballots:${live.meetingId}:${live.userId}`;
  const CHOOSING = ["single", "approval", "dots", "score", "ranked_irv", "ranked_schulze"];
  const RANKED = ["ranked_irv", "ranked_schulze"];

  let drafts = null; // for those who run the meeting: [poll_state]
  let mine = {}; // poll id -> [{voter_key, name, own, voted}] from `poll_ballots`
  let mineFetched = false;
  let mineOpenIds = "";
  const models = {}; // ballot key -> what the person has chosen so far
  const sentIn = {}; // ballot key -> true once acknowledged
  const editing = {}; // ballot key -> true while changing a vote that is in
  const problems = {}; // ballot key -> message to show under the ballot
  const cards = new Map(); // poll id -> {node, parts, cache}
  let pending = loadPending(); // ballot key -> {poll_id, voter_key, own, choice, client_id}

  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_m, k) => (k in values ? values[k] : "—"));
  const keyOf = (pollId, voterKey) => `${pollId}|${voterKey}`;

  // --- numbers and sentences (the same as assembly/voting/explain.py) -------------------------

  const toNumber = (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value === "string" && value.includes("/")) {
      const [a, b] = value.split("/").map(Number);
      return a / b;
    }
    const n = Number(value);
    return Number.isNaN(n) ? null : n;
  };
  const number = (value) => {
    const n = toNumber(value);
    return n === null ? "—" : decimals.format(Math.round(n * 100) / 100);
  };
  const share = (part, base) => {
    const p = toNumber(part), b = toNumber(base);
    return p === null || !b ? null : (p * 100) / b;
  };
  const percent = (value) => (value === null ? "—" : `${oneDecimal.format(value)} %`);
  const join = (items) => (items.length ? (lists ? lists.format(items) : items.join(", ")) : "—");
  // A counted sentence comes with every plural form of the page's language (see
  // assembly/core/plurals.py): pick the one for its count, or its words for zero.
  const pluralRules = new Intl.PluralRules(lang);
  const plural = (forms, n) => forms[pluralRules.select(n)] || forms.other;
  const words = (template, values) => {
    if (typeof template === "string") return template;
    const n = toNumber(values[template.count]);
    if (n === 0 && template.zero) return template.zero;
    return plural(template.forms, n === null ? 2 : n);
  };

  const OPTION = ["winner", "runner_up"];
  const OPTIONS = ["winners", "tied"];
  const TEXT = ["fraction", "majority", "abstentions", "comparison"];
  const SKIP = ["values", "rounds_per_seat", "tie_breaks"];

  function explain(result, labels) {
    const ex = result && result.explanation;
    const template = ex && X.sentences[ex.key];
    if (!template) return "";
    const name = (o) => (String(o) in labels ? labels[String(o)] : String(o));
    const params = {};
    Object.entries(ex.params || {}).forEach(([k, v]) => {
      if (SKIP.includes(k)) return;
      if (OPTION.includes(k)) params[k] = name(v);
      else if (OPTIONS.includes(k)) params[k] = join((v || []).map(name));
      else if (TEXT.includes(k)) params[k] = String(v);
      else params[k] = number(v);
    });
    if (ex.key === "highest_total") {
      const values = ex.params.values || {};
      params.winners = join((ex.params.winners || []).map((o) => `${name(o)} (${number(values[String(o)])})`));
    }
    return fill(words(template, ex.params || {}), params);
  }

  function ruleKey(method, config) {
    if (method === "yes_no") {
      const majority = config.majority || "simple";
      return majority === "absolute" ? "absolute" : `${majority}_${config.abstentions || "excluded"}`;
    }
    if (method === "consent") return config.max_objections ? "consent" : "consent_none";
    return method;
  }

  function rule(method, config) {
    const values = { max_objections: config.max_objections || 0, dots: config.dots || 3 };
    const shown = { max_objections: number(values.max_objections), dots: number(values.dots) };
    let text = fill(words(X.rules[ruleKey(method, config)] || "", values), shown);
    if ((config.seats || 1) > 1) text += " " + fill(X.rules.seats, { seats: number(config.seats) });
    return text;
  }

  // --- a result as rows and tables (as assembly/voting/pages.py result_view) -------------------

  function mark(optionId, result) {
    if ((result.winners || []).includes(optionId)) return "winner";
    if ((result.tied || []).includes(optionId)) return "tied";
    return "";
  }
  const row = (label, value, part, markName = "") => ({
    label, value: number(value), percent: percent(part), bar: part === null ? 0 : part, mark: markName,
  });

  function resultView(poll, result) {
    const labels = {};
    poll.options.forEach((o) => { labels[String(o.id)] = o.label; });
    const view = {
      outcome: X.outcomes[result.outcome] || result.outcome || "",
      outcomeKey: result.outcome,
      explanation: explain(result, labels),
      columns: [P.votes_col, P.share],
      rows: [],
      facts: [],
      tables: [],
      notes: [],
    };
    const method = poll.method;
    if (method === "yes_no" || method === "consent") {
      const counts = result.counts || {};
      const values = method === "yes_no" ? ["yes", "no", "abstain"] : ["agree", "stand_aside", "object"];
      const total = values.reduce((sum, v) => sum + (toNumber(counts[v]) || 0), 0);
      values.forEach((v) => {
        let part = share(counts[v] || 0, total);
        if (result.percentages) part = result.percentages[v] === undefined ? null : result.percentages[v];
        view.rows.push(row(P.votes[v], counts[v] || 0, part));
      });
      if (method === "yes_no" && result.abstentions === "excluded") view.facts.push(["", P.abstentions_not_counted]);
    } else if (method === "gradient") {
      const distribution = result.distribution || {};
      [5, 4, 3, 2, 1, 0].forEach((level) => {
        const count = distribution[String(level)] || 0;
        view.rows.push(row(`${level} · ${P.levels[String(level)]}`, count, share(count, result.total)));
      });
      view.facts.push([P.average, number(result.mean)], [P.median, number(result.median)]);
    } else if (["single", "approval", "dots", "score"].includes(method)) {
      const totals = result.totals || {};
      const base = method === "dots"
        ? Object.values(totals).reduce((sum, v) => sum + (toNumber(v) || 0), 0)
        : result.cast_weight;
      if (method === "score") view.columns = [P.points, P.average];
      (result.ranking || poll.options.map((o) => o.id)).forEach((id) => {
        const total = totals[String(id)] || 0;
        if (method === "score") {
          const average = (result.averages || {})[String(id)];
          const r = row(labels[String(id)], total, null, mark(id, result));
          r.percent = number(average);
          r.bar = (toNumber(average) || 0) * 20;
          view.rows.push(r);
        } else {
          view.rows.push(row(labels[String(id)], total, share(total, base), mark(id, result)));
        }
      });
    } else if (method === "ranked_irv") {
      irvView(poll, result, labels, view);
    } else if (method === "ranked_schulze") {
      view.columns = [P.beats];
      const wins = result.wins || {};
      (result.ranking || []).forEach((id) => view.rows.push(row(labels[String(id)], wins[String(id)] || 0, null, mark(id, result))));
      const pairwise = result.pairwise || {};
      const ids = poll.options.map((o) => String(o.id));
      view.tables.push({
        caption: P.pairwise,
        columns: ids.map((id) => labels[id]),
        rows: ids.map((a) => ({
          label: labels[a],
          cells: ids.map((b) => (a === b ? "—" : number((pairwise[a] || {})[b]))),
        })),
      });
    }
    return view;
  }

  function irvView(poll, result, labels, view) {
    const rounds = result.rounds || [];
    const first = rounds.length ? rounds[0].tallies : {};
    const active = rounds.length ? rounds[0].active : 0;
    view.columns = [P.first_preferences, P.share];
    const ids = poll.options.map((o) => String(o.id));
    [...ids].sort((a, b) => (toNumber(first[b]) || 0) - (toNumber(first[a]) || 0)).forEach((id) => {
      view.rows.push(row(labels[id], first[id] || 0, share(first[id] || 0, active), mark(Number(id), result)));
    });
    (result.seat_results || []).forEach((seat) => {
      const out = new Set();
      const table = {
        caption: (result.seat_results.length > 1 ? `${P.rounds} · ${seat.seat}` : P.rounds),
        columns: seat.rounds.map((r) => fill(P.round, { round: r.round })),
        rows: [],
      };
      ids.forEach((id) => {
        const cells = seat.rounds.map((r) => {
          const cell = out.has(id) || !(id in r.tallies) ? "" : number(r.tallies[id]);
          if (String(r.eliminated) === id) out.add(id);
          return cell;
        });
        table.rows.push({ label: labels[id], cells });
      });
      table.rows.push({ label: P.exhausted, cells: seat.rounds.map((r) => number(r.exhausted)) });
      table.rows.push({
        label: P.eliminated,
        cells: seat.rounds.map((r) => (r.eliminated ? labels[String(r.eliminated)] || "" : "—")),
      });
      view.tables.push(table);
      // A tie for the fewest votes was broken: say by which rule (explain.py's TIE_BREAKS).
      seat.rounds.forEach((r) => {
        const rule = r.tie_break && X.tie_breaks[r.tie_break.rule];
        if (!rule) return;
        view.notes.push(fill(rule, {
          round: number(r.round),
          tied: join(r.tie_break.tied.map((o) => labels[String(o)] || "")),
          eliminated: labels[String(r.eliminated)] || "",
        }));
      });
    });
  }

  function renderResult(poll, result, final) {
    const view = resultView(poll, result);
    const box = el("div", { class: final ? `poll-result outcome-${view.outcomeKey}` : "poll-result running" });
    box.appendChild(el("h4", { text: final ? P.result : P.running }));
    if (final) { // a running count says how it stands, not what was decided
      box.appendChild(el("p", { class: "poll-outcome" }, [el("strong", { text: view.outcome })]));
      box.appendChild(el("p", { class: "poll-explanation", text: view.explanation }));
    }
    const table = el("table", { class: "poll-table" });
    const head = el("tr", {}, [el("th", { scope: "col", text: P.option })]);
    view.columns.forEach((c) => head.appendChild(el("th", { scope: "col", text: c })));
    table.appendChild(el("thead", {}, [head]));
    const body = el("tbody");
    view.rows.forEach((r) => {
      const th = el("th", { scope: "row", text: r.label });
      if (r.mark === "winner" && final) {
        th.appendChild(el("span", { text: " ✓", "aria-hidden": "true" }));
        th.appendChild(el("span", { class: "visually-hidden", text: ` (${P.chosen})` }));
      } else if (r.mark === "tied") {
        if (final) th.appendChild(el("span", { class: "muted", text: ` (${P.tied})` }));
      }
      const tr = el("tr", { class: r.mark }, [th, el("td", { text: r.value })]);
      if (view.columns.length > 1) {
        const meter = el("meter", { min: 0, max: 100, value: r.bar, "aria-hidden": "true" });
        tr.appendChild(el("td", { class: "share" }, [el("span", { text: r.percent }), meter]));
      }
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
    view.facts.forEach(([label, value]) => {
      box.appendChild(el("p", { class: "muted", text: label ? `${label}: ${value}` : value }));
    });
    view.tables.forEach((t) => {
      const rounds = el("table", { class: "poll-table rounds" });
      rounds.appendChild(el("caption", { text: t.caption }));
      const tr = el("tr", {}, [el("th", { scope: "col" }, [el("span", { class: "visually-hidden", text: P.option })])]);
      t.columns.forEach((c) => tr.appendChild(el("th", { scope: "col", text: c })));
      rounds.appendChild(el("thead", {}, [tr]));
      rounds.appendChild(el("tbody", {}, t.rows.map((r) => el("tr", {}, [
        el("th", { scope: "row", text: r.label }), ...r.cells.map((c) => el("td", { text: c })),
      ]))));
      // Its own sideways scrolling on a phone, reachable from the keyboard too.
      box.appendChild(el("div", { class: "table-scroll", role: "region", tabindex: "0", "aria-label": t.caption }, [rounds]));
    });
    view.notes.forEach((note) => box.appendChild(el("p", { class: "tie-break", text: note })));
    return box;
  }

  // --- pending ballots: kept until acknowledged, resent after a reconnection ------------------

  function loadPending() {
    try { return JSON.parse(window.localStorage.getItem(storageKey) || "{}"); } catch (_e) { return {}; }
  }
  function savePending() {
    const kept = {};
    Object.entries(pending).forEach(([k, p]) => {
      kept[k] = { poll_id: p.poll_id, voter_key: p.voter_key, own: p.own, choice: p.choice, client_id: p.client_id };
    });
    try { window.localStorage.setItem(storageKey, JSON.stringify(kept)); } catch (_e) { /* private mode */ }
  }
  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function transmit(key) {
    const ballot = pending[key];
    if (!ballot || ballot.inFlight || !socket.connected) return;
    ballot.inFlight = true;
    const attempt = (ballot.attempt = (ballot.attempt || 0) + 1);
    const payload = {
      meeting_id: live.meetingId, poll_id: ballot.poll_id, choice: ballot.choice, client_id: ballot.client_id,
    };
    if (!ballot.own) payload.voter_key = ballot.voter_key;
    socket.timeout(15000).emit("vote", payload, (err, ack) => {
      const current = pending[key];
      if (!current || current.attempt !== attempt) return; // answered already, or superseded
      current.inFlight = false;
      if (err) { // no answer in time: the same ballot, same id, again
        setTimeout(() => transmit(key), 1000);
        return;
      }
      delete pending[key];
      savePending();
      if (ack.ok) {
        sentIn[key] = true;
        delete editing[key];
        delete problems[key];
        delete models[key];
      } else {
        const code = ack.error.code;
        if (code === "already_voted") sentIn[key] = true;
        problems[key] = P.ballot_errors[code] || ack.error.message;
      }
      refreshBallots(ballot.poll_id);
    });
  }

  function resendAll() {
    Object.values(pending).forEach((b) => { b.inFlight = false; });
    Object.keys(pending).forEach(transmit);
  }

  // --- what the person may vote, and the drafts -----------------------------------------------

  let mineBusy = false;
  let mineAgain = false;
  function fetchMine() {
    if (live.projector || !live.userId) return;
    if (mineBusy) { mineAgain = true; return; }
    mineBusy = true;
    socket.timeout(10000).emit("poll_ballots", { meeting_id: live.meetingId }, (err, ack) => {
      mineBusy = false;
      if (!err && ack && ack.ok) {
        mine = ack.polls;
        mineFetched = true;
        renderPolls();
      }
      if (mineAgain) { mineAgain = false; fetchMine(); }
    });
  }

  let draftsBusy = false;
  let draftsAgain = false;
  let draftsAt = 0;
  function fetchDrafts() {
    if (!live.canRun || live.projector) return;
    if (draftsBusy) { draftsAgain = true; return; }
    const wait = Math.max(0, draftsAt + 1000 - Date.now());
    draftsBusy = true;
    setTimeout(() => {
      draftsAt = Date.now();
      socket.timeout(10000).emit("poll_drafts", { meeting_id: live.meetingId }, (err, ack) => {
        draftsBusy = false;
        if (!err && ack && ack.ok) { drafts = ack.polls; renderDrafts(); }
        if (draftsAgain) { draftsAgain = false; fetchDrafts(); }
      });
    }, wait);
  }

  function renderDrafts() {
    const list = root.querySelector('[data-list="poll-drafts"]');
    if (!list || drafts === null) return;
    const signature = JSON.stringify(drafts.map((d) => [d.id, d.title, d.method]));
    if (list.dataset.signature === signature) return;
    list.dataset.signature = signature;
    if (!drafts.length) {
      list.replaceChildren(el("li", { class: "muted", text: P.no_drafts }));
      return;
    }
    list.replaceChildren(...drafts.map((d) => el("li", { "data-poll-id": String(d.id) }, [
      el("div", {}, [
        el("strong", { text: d.title }),
        el("span", { class: "muted", text: ` · ${P.methods[d.method]}${d.secret ? " · " + P.secret : ""}` }),
      ]),
      el("button", {
        type: "button", class: "button small primary", text: P.open_poll,
        "data-poll-action": "open", "data-poll-id": String(d.id), "aria-label": `${P.open_poll}: ${d.title}`,
      }),
    ])));
  }

  // --- ballots --------------------------------------------------------------------------------

  function model(poll, key) {
    if (!models[key]) {
      models[key] = { vote: null, level: null, option: null, options: [], dots: {}, scores: {}, ranking: [] };
    }
    return models[key];
  }

  // The choice to send, or the code of what is missing (as the server would say).
  function choiceOf(poll, m) {
    const method = poll.method;
    const ids = poll.options.map((o) => o.id);
    if (method === "yes_no" || method === "consent") return m.vote ? { choice: { vote: m.vote } } : { error: "invalid_choice" };
    if (method === "gradient") return m.level === null ? { error: "invalid_choice" } : { choice: { level: m.level } };
    if (method === "single") return m.option === null ? { error: "invalid_choice" } : { choice: { option: m.option } };
    if (method === "approval") return { choice: { options: ids.filter((id) => m.options.includes(id)) } };
    if (method === "dots") {
      const dots = {};
      ids.forEach((id) => { if (m.dots[id]) dots[String(id)] = m.dots[id]; });
      return { choice: { dots } };
    }
    if (method === "score") {
      const scores = {};
      ids.forEach((id) => { if (m.scores[id] !== undefined && m.scores[id] !== "") scores[String(id)] = Number(m.scores[id]); });
      if (poll.config.require_all !== false && Object.keys(scores).length !== ids.length) return { error: "incomplete_scores" };
      return { choice: { scores } };
    }
    if (!m.ranking.length) return { error: "invalid_choice" };
    if (poll.config.require_full_ranking && m.ranking.length !== ids.length) return { error: "incomplete_ranking" };
    return { choice: { ranking: [...m.ranking] } };
  }

  const toggle = (text, pressed, attrs) => el("button", {
    type: "button", class: "button choice" + (pressed ? " pressed" : ""), text,
    "aria-pressed": pressed ? "true" : "false", ...attrs,
  });

  function controls(poll, key, m) {
    const id = (suffix) => `b-${poll.id}-${key.replace(/[^A-Za-z0-9]/g, "")}-${suffix}`;
    const act = (action, value, focus) => ({
      "data-poll-action": action, "data-ballot": key, "data-value": String(value), "data-focus": focus,
    });
    const group = (legend, children, cls = "choices") => el("fieldset", { class: `choice-group ${cls}` }, [
      el("legend", { text: legend }), ...children,
    ]);
    const method = poll.method;
    if (method === "yes_no" || method === "consent") {
      const values = method === "yes_no" ? ["yes", "no", "abstain"] : ["agree", "stand_aside", "object"];
      return group(P.your_answer, values.map((v) => toggle(P.votes[v], m.vote === v, act("pick-vote", v, `vote-${v}`))));
    }
    if (method === "gradient") {
      return group(P.how_much, [5, 4, 3, 2, 1, 0].map((level) => toggle(
        `${level} · ${P.levels[String(level)]}`, m.level === level, act("pick-level", level, `level-${level}`),
      )), "choices levels");
    }
    if (method === "single" || method === "approval") {
      const single = method === "single";
      return group(single ? P.choose_one : P.tick_all, poll.options.map((o) => {
        const input = el("input", {
          type: single ? "radio" : "checkbox", name: id("pick"), value: String(o.id), id: id(`o${o.id}`),
          checked: single ? m.option === o.id : m.options.includes(o.id),
          "data-poll-input": single ? "option" : "options", "data-ballot": key,
        });
        return el("label", { class: "check", for: id(`o${o.id}`) }, [input, document.createTextNode(" " + o.label)]);
      }), "options");
    }
    if (method === "dots") {
      const total = poll.config.dots || 3;
      const used = Object.values(m.dots).reduce((a, b) => a + b, 0);
      const rows = poll.options.map((o) => {
        const count = m.dots[o.id] || 0;
        return el("div", { class: "dot-row" }, [
          el("span", { class: "dot-label", text: o.label }),
          el("button", {
            type: "button", class: "button small", text: "−", disabled: count === 0,
            "aria-label": fill(P.remove_dot, { option: o.label }), ...act("dot-minus", o.id, `minus-${o.id}`),
          }),
          el("span", { class: "dot-count", text: String(count), "aria-hidden": "true" }),
          el("button", {
            type: "button", class: "button small", text: "+", disabled: used >= total,
            "aria-label": fill(P.add_dot, { option: o.label }), ...act("dot-plus", o.id, `plus-${o.id}`),
          }),
        ]);
      });
      return group(fill(plural(X.phrases.dots_left, total - used), { count: total - used, total }), rows, "dots");
    }
    if (method === "score") {
      return group(P.score_each, poll.options.map((o) => {
        const select = el("select", {
          id: id(`s${o.id}`), "data-poll-input": "score", "data-ballot": key, "data-option": String(o.id),
        }, ["", 0, 1, 2, 3, 4, 5].map((v) => el("option", { value: String(v), text: v === "" ? "—" : String(v) })));
        select.value = m.scores[o.id] === undefined ? "" : String(m.scores[o.id]);
        return el("div", { class: "score-row" }, [
          el("label", { for: id(`s${o.id}`), text: o.label }), select,
        ]);
      }), "scores");
    }
    // Ranking: buttons to add, move and remove; no dragging needed.
    const labelOf = (optionId) => (poll.options.find((o) => o.id === optionId) || {}).label || "";
    const ranked = m.ranking.map((optionId, index) => el("li", { class: "rank-row" }, [
      el("span", { class: "rank-label", text: labelOf(optionId) }),
      el("button", {
        type: "button", class: "button small", text: "↑", disabled: index === 0,
        "aria-label": fill(P.move_up, { option: labelOf(optionId) }), ...act("rank-up", optionId, `up-${optionId}`),
      }),
      el("button", {
        type: "button", class: "button small", text: "↓", disabled: index === m.ranking.length - 1,
        "aria-label": fill(P.move_down, { option: labelOf(optionId) }), ...act("rank-down", optionId, `down-${optionId}`),
      }),
      el("button", {
        type: "button", class: "button small", text: "✕",
        "aria-label": fill(P.remove, { option: labelOf(optionId) }), ...act("rank-remove", optionId, `remove-${optionId}`),
      }),
    ]));
    const rest = poll.options.filter((o) => !m.ranking.includes(o.id)).map((o) => el("li", { class: "rank-row" }, [
      el("span", { class: "rank-label", text: o.label }),
      el("button", {
        type: "button", class: "button small", text: P.add_short,
        "aria-label": fill(P.add_to_ranking, { option: o.label }), ...act("rank-add", o.id, `add-${o.id}`),
      }),
    ]));
    return group(P.ranking, [
      ranked.length ? el("ol", { class: "ranking" }, ranked) : el("p", { class: "muted", text: P.ranking_empty }),
      ...(rest.length ? [el("h5", { text: P.unranked }), el("ul", { class: "unranked" }, rest)] : []),
    ], "rank");
  }

  function buildBallot(poll, choice, several) {
    const key = keyOf(poll.id, choice.voter_key);
    const box = el("div", { class: "ballot", "data-ballot-box": key });
    if (several) box.appendChild(el("h4", { text: choice.name }));
    const status = el("p", { class: "ballot-status", role: "status" });
    const isIn = (choice.voted || sentIn[key]) && !editing[key];
    if (pending[key]) {
      status.textContent = socket.connected ? P.sending : P.waiting;
      status.classList.add("sending");
      box.appendChild(status);
      return box;
    }
    if (isIn) {
      status.textContent = P.vote_in;
      status.classList.add("vote-in");
      box.appendChild(status);
      if (poll.allow_change) {
        box.appendChild(el("button", {
          type: "button", class: "button small", text: P.change,
          "data-poll-action": "change", "data-ballot": key, "data-focus": "change",
        }));
      }
      return box;
    }
    box.appendChild(controls(poll, key, model(poll, key)));
    box.appendChild(el("button", {
      type: "button", class: "button primary send", text: P.send,
      "data-poll-action": "send", "data-ballot": key, "data-focus": "send",
    }));
    if (problems[key]) {
      status.textContent = problems[key];
      status.classList.add("problem");
      status.setAttribute("role", "alert");
    }
    box.appendChild(status);
    return box;
  }

  // A show of hands: the facilitator counts in the room and closes the poll with the counts.
  function handsForm(poll) {
    const values = poll.method === "single"
      ? poll.options.map((o) => [String(o.id), o.label])
      : (poll.method === "consent" ? ["agree", "stand_aside", "object"] : ["yes", "no", "abstain"])
        .map((v) => [v, P.votes[v]]);
    const fields = values.map(([value, label]) => {
      const id = `hands-${poll.id}-${value}`;
      return el("div", { class: "field inline-field" }, [
        el("label", { for: id, text: label }),
        el("input", {
          id, type: "number", inputmode: "numeric", min: "0", value: "0", "data-hands": value,
        }),
      ]);
    });
    const form = el("form", { class: "hands-form", "data-poll-id": String(poll.id) }, [
      el("fieldset", {}, [el("legend", { text: P.hands_legend }), ...fields]),
      el("button", { type: "submit", class: "button danger", text: P.hands_close }),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!window.confirm(P.hands_confirm)) return;
      const hands = {};
      form.querySelectorAll("[data-hands]").forEach((input) => {
        hands[input.dataset.hands] = Number.parseInt(input.value || "0", 10);
      });
      live.send("poll_close", { poll_id: poll.id, hands });
    });
    return form;
  }

  function ballotsFor(poll) {
    if (poll.show_of_hands) return [el("p", { class: "muted", text: P.hands_in_room })];
    const choices = mine[String(poll.id)];
    if (!mineFetched || choices === undefined) return [];
    if (!choices.length) return [el("p", { class: "muted", text: P.not_voting })];
    return choices.map((c) => buildBallot(poll, c, choices.length > 1));
  }

  function refreshBallots(pollId) {
    const card = cards.get(pollId);
    const poll = currentPoll(pollId);
    if (!card || !poll) return;
    card.cache.ballots = null;
    updateCard(card, poll);
  }

  // Rebuilding a ballot keeps the focus on the control that was used, wherever it moved.
  function rebuildKeepingFocus(pollId, key, focusKeys) {
    refreshBallots(pollId);
    const card = cards.get(pollId);
    const box = card && card.parts.ballots.querySelector(`[data-ballot-box="${CSS.escape(key)}"]`);
    if (!box) return;
    const target = focusKeys
      .map((f) => box.querySelector(`[data-focus="${f}"]:not([disabled])`))
      .find((node) => node) || box.querySelector("[data-focus]:not([disabled])");
    if (target) target.focus();
  }

  // --- the polls section ----------------------------------------------------------------------

  const currentPoll = (pollId) => {
    const state = live.state();
    return state ? (state.polls || []).find((p) => p.id === pollId) : null;
  };

  function newCard(poll) {
    const parts = {
      title: el("h3", { class: "poll-title" }),
      meta: el("p", { class: "poll-meta muted", role: "status" }), // says when it closes
      rule: el("p", { class: "poll-rule muted" }),
      progressText: el("p", { class: "poll-progress" }),
      progressBar: el("progress", { max: 1, value: 0, "aria-hidden": "true" }),
      staff: el("div", { class: "actions poll-staff" }),
      ballots: el("div", { class: "poll-ballots" }),
      result: el("div", { class: "poll-result-box" }),
      link: el("p", { class: "poll-link" }),
    };
    const node = el("article", { class: "poll-card", "data-poll-id": String(poll.id) }, [
      parts.title, parts.meta, parts.rule,
      el("div", { class: "poll-progress-box" }, [parts.progressText, parts.progressBar]),
      parts.staff, parts.ballots, parts.result, parts.link,
    ]);
    if (live.canRun && !live.projector && poll.show_of_hands) {
      parts.staff.appendChild(handsForm(poll));
    } else if (live.canRun && !live.projector) {
      parts.staff.appendChild(el("button", {
        type: "button", class: "button danger", text: P.close_poll,
        "data-poll-action": "close", "data-poll-id": String(poll.id), "aria-label": `${P.close_poll}: ${poll.title}`,
      }));
      if (pollUrl && !poll.secret) {
        parts.staff.appendChild(el("a", { class: "button", href: `${pollUrl}/${poll.id}#on-behalf`, text: P.on_behalf }));
      }
    }
    if (pollUrl && !live.projector) {
      parts.link.appendChild(el("a", { href: `${pollUrl}/${poll.id}`, text: P.full_record }));
    }
    return { node, parts, cache: {} };
  }

  function updateCard(card, poll) {
    const { parts, cache } = card;
    const open = poll.status === "open";
    card.node.classList.toggle("closed", poll.status === "closed");
    if (cache.title !== poll.title) { parts.title.textContent = poll.title; cache.title = poll.title; }
    const meta = [P.methods[poll.method], poll.secret ? P.secret : P.open_ballot, P.status[poll.status]].join(" · ");
    if (cache.meta !== meta) { parts.meta.textContent = meta; cache.meta = meta; }
    if (!cache.rule) { cache.rule = rule(poll.method, poll.config || {}); parts.rule.textContent = cache.rule; }
    const progress = fill(plural(X.phrases.progress, poll.progress.voted), poll.progress);
    if (cache.progress !== progress) {
      parts.progressText.textContent = progress;
      parts.progressBar.max = Math.max(1, poll.progress.eligible);
      parts.progressBar.value = poll.progress.voted;
      cache.progress = progress;
    }
    parts.staff.hidden = !open;
    parts.link.hidden = poll.status !== "closed";
    if (!live.projector) {
      const choices = mine[String(poll.id)];
      const signature = JSON.stringify([
        poll.status, mineFetched, choices, socket.connected,
        (choices || []).map((c) => { const k = keyOf(poll.id, c.voter_key); return [!!pending[k], !!sentIn[k], !!editing[k], problems[k] || ""]; }),
      ]);
      if (cache.ballots !== signature) {
        cache.ballots = signature;
        parts.ballots.replaceChildren(...(open ? ballotsFor(poll) : []));
      }
    }
    const resultText = JSON.stringify([poll.status, poll.result]);
    if (cache.result !== resultText) {
      cache.result = resultText;
      let content = [];
      if (poll.result) content = [renderResult(poll, poll.result, !open)];
      else if (open) content = [el("p", { class: "muted", text: poll.secret ? P.secret_until_close : P.hidden_until_close })];
      parts.result.replaceChildren(...content);
    }
  }

  function renderPolls() {
    const state = live.state();
    const list = root.querySelector('[data-list="polls"]');
    if (!state || !list) return;
    const polls = (state.polls || []).filter((p) => p.status === "open" || p.status === "closed");
    const openOnes = polls.filter((p) => p.status === "open").sort((a, b) => b.id - a.id);
    const closedOnes = polls.filter((p) => p.status === "closed").sort((a, b) => b.id - a.id);
    // The projector shows what is being voted now, or else the latest result.
    const shown = live.projector ? (openOnes.length ? openOnes : closedOnes.slice(0, 1)) : [...openOnes, ...closedOnes];
    const nodes = shown.map((poll) => {
      let card = cards.get(poll.id);
      if (!card) { card = newCard(poll); cards.set(poll.id, card); }
      updateCard(card, poll);
      return card.node;
    });
    const now = Array.from(list.children);
    const same = now.length === nodes.length && now.every((n, i) => n === nodes[i]);
    if (!same) {
      if (!nodes.length) list.replaceChildren(el("p", { class: "muted", text: live.projector ? "" : P.no_polls }));
      else list.replaceChildren(...nodes);
    }
    if (live.projector) list.closest("[data-polls-section]").hidden = !nodes.length;
    // A poll opened, or closed: ask again which votes are the person's.
    const openIds = openOnes.map((p) => p.id).join(",");
    if (openIds !== mineOpenIds) { mineOpenIds = openIds; if (openIds) fetchMine(); }
  }

  // --- actions -----------------------------------------------------------------------------------

  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-poll-action]");
    if (!button || !root.contains(button)) return;
    const action = button.dataset.pollAction;
    if (action === "open") {
      live.send("poll_open", { poll_id: Number(button.dataset.pollId) }).then(() => fetchDrafts());
      return;
    }
    if (action === "close") {
      if (!window.confirm(P.close_confirm)) return;
      live.send("poll_close", { poll_id: Number(button.dataset.pollId) });
      return;
    }
    const key = button.dataset.ballot;
    const pollId = Number(key.split("|")[0]);
    const poll = currentPoll(pollId);
    if (!poll) return;
    const m = model(poll, key);
    const value = button.dataset.value;
    const optionId = Number(value);
    const total = poll.config.dots || 3;
    delete problems[key];
    if (action === "pick-vote") m.vote = value;
    else if (action === "pick-level") m.level = Number(value);
    else if (action === "dot-plus") {
      const used = Object.values(m.dots).reduce((a, b) => a + b, 0);
      if (used < total) m.dots[optionId] = (m.dots[optionId] || 0) + 1;
    } else if (action === "dot-minus") m.dots[optionId] = Math.max(0, (m.dots[optionId] || 0) - 1);
    else if (action === "rank-add") m.ranking.push(optionId);
    else if (action === "rank-remove") m.ranking = m.ranking.filter((o) => o !== optionId);
    else if (action === "rank-up" || action === "rank-down") {
      const i = m.ranking.indexOf(optionId);
      const j = action === "rank-up" ? i - 1 : i + 1;
      if (i >= 0 && j >= 0 && j < m.ranking.length) [m.ranking[i], m.ranking[j]] = [m.ranking[j], m.ranking[i]];
    } else if (action === "change") {
      editing[key] = true;
      sentIn[key] = false;
    } else if (action === "send") {
      const { choice, error } = choiceOf(poll, m);
      if (error) {
        problems[key] = P.ballot_errors[error];
        rebuildKeepingFocus(pollId, key, ["send"]);
        return;
      }
      const voterKey = key.slice(key.indexOf("|") + 1);
      const own = (mine[String(pollId)] || []).some((c) => c.voter_key === voterKey && c.own);
      pending[key] = { poll_id: pollId, voter_key: voterKey, own, choice, client_id: newClientId() };
      savePending();
      refreshBallots(pollId);
      transmit(key);
      return;
    }
    // Keep the focus with the option that moved, on a control that is still usable.
    const focus = {
      // Adding in order of preference: on to the next option still to rank.
      "rank-add": [
        ...poll.options.filter((o) => !m.ranking.includes(o.id)).map((o) => `add-${o.id}`),
        "send",
      ],
      "rank-remove": [`add-${optionId}`],
      "rank-up": [`up-${optionId}`, `down-${optionId}`],
      "rank-down": [`down-${optionId}`, `up-${optionId}`],
      "dot-plus": [`plus-${optionId}`, `minus-${optionId}`],
      "dot-minus": [`minus-${optionId}`, `plus-${optionId}`],
      change: [],
    }[action] || [button.dataset.focus];
    rebuildKeepingFocus(pollId, key, focus);
  });

  root.addEventListener("change", (event) => {
    const input = event.target.closest("[data-poll-input]");
    if (!input) return;
    const key = input.dataset.ballot;
    const poll = currentPoll(Number(key.split("|")[0]));
    if (!poll) return;
    const m = model(poll, key);
    const kind = input.dataset.pollInput;
    if (kind === "option") m.option = Number(input.value);
    if (kind === "options") {
      const id = Number(input.value);
      m.options = input.checked ? [...m.options.filter((o) => o !== id), id] : m.options.filter((o) => o !== id);
    }
    if (kind === "score") m.scores[Number(input.dataset.option)] = input.value;
  });

  // A burst of ballots may bring only the open polls' counts, not a whole new state.
  socket.on("poll_progress", (data) => {
    const state = live.state();
    if (!state || !data || data.meeting_id !== live.meetingId || data.version < state.version) return;
    (data.polls || []).forEach((update) => {
      const poll = (state.polls || []).find((p) => p.id === update.id);
      if (!poll || poll.status !== "open") return; // a late count never undoes a close
      poll.progress = update.progress;
      if ("result" in update) poll.result = update.result;
    });
    renderPolls();
  });

  live.on("joined", () => {
    fetchDrafts();
    fetchMine();
    resendAll();
  });
  live.on("render", () => {
    renderPolls();
    fetchDrafts();
  });
  live.on("you", () => fetchMine());
  live.on("disconnect", () => {
    Object.values(pending).forEach((b) => { b.inFlight = false; });
    cards.forEach((card, pollId) => refreshBallots(pollId));
  });
  if (live.state()) { renderPolls(); fetchDrafts(); fetchMine(); }
})();

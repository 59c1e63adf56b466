// A problematisation workshop's board: members' phones, the facilitator's laptop and the
// projector. The join answer brings the whole board; `board_changes` deltas keep it current
// (docs/realtime.md, "The workshop board"). Runs after live.js, through its hooks.
(() => {
  "use strict";
  const live = window.assemblyLive;
  const section = document.querySelector("[data-board]");
  if (!live || !section) return;
  const T = JSON.parse(document.getElementById("board-strings").textContent);
  const { socket, el, fmt, meetingId, userId } = live;
  const projector = live.projector;
  const canGroup = section.dataset.canGroup === "true";
  const $ = (selector) => section.querySelector(selector);
  const MAX = 500;

  // A topic that became a proposal links to it (the proposal links back to the topic).
  function proposalLink(topic) {
    const base = section.dataset.proposalUrl;
    if (!topic.proposal_id || !base) return null;
    const href = base.replace(/\/0(\/?)$/, `/${topic.proposal_id}$1`);
    return el("p", { class: "board-proposal" }, [el("a", { href, text: T.proposal_link })]);
  }

  let board = null; // {version, settings, questions, cards: Map, topics: Map, mine, backed, undo}
  const removed = { cards: new Map(), topics: new Map() }; // id -> version it was removed at
  let picked = null; // the question the facilitator is grouping (null: the one under way)
  let moving = null; // the card whose "Move…" panel is open
  let renaming = null; // the topic being renamed
  let hints = {}; // card id -> ids of similar cards
  const selected = new Set();
  const drafts = new Map(); // topic id -> {text, base}: main points being written
  const conflicts = new Set(); // topics whose save met someone else's

  // --- the board's data ---------------------------------------------------------------------

  // Versions seen since the board was loaded: every change has one, so a hole that stays is a
  // delta this screen missed (docs/realtime.md), and the whole board is asked for again.
  let floor = 0;
  const seen = new Set();
  let gapTimer = null;
  function noteVersions(versions) {
    versions.forEach((v) => { if (v > floor) seen.add(v); });
    while (seen.has(floor + 1)) { floor += 1; seen.delete(floor); }
    if (seen.size && !gapTimer) {
      gapTimer = setTimeout(() => {
        gapTimer = null;
        if (seen.size) refetch();
      }, 3000);
    }
  }

  function load(next) {
    floor = next.version;
    seen.clear();
    removed.cards.clear();
    removed.topics.clear();
    const later = recent.filter((d) => d.version > next.version);
    board = {
      version: next.version,
      settings: next.settings,
      questions: next.questions,
      cards: new Map(next.cards.map((c) => [c.id, c])),
      topics: new Map(next.topics.map((t) => [t.id, t])),
      mine: new Set(next.mine),
      backed: new Set(next.backed),
      undo: next.undo,
    };
    // Changes that came while the board was on its way are newer than it: apply them again.
    later.forEach((d) => applyChanges(d, { again: true }));
    render();
  }
  const recent = []; // the last deltas, for a board that arrives after some of them

  // Keep the newest copy of each card and topic: updates may arrive out of order.
  function keep(kind, item) {
    const map = board[kind];
    const old = map.get(item.id);
    if (old && old.version > item.version) return;
    if ((removed[kind].get(item.id) || -1) >= item.version) return;
    removed[kind].delete(item.id);
    map.set(item.id, old && old.mine ? { ...item, mine: true } : item);
  }


  function applyChanges(delta, { again = false } = {}) {
    if (delta.meeting_id !== meetingId) return;
    if (!again) {
      recent.push(delta);
      if (recent.length > 50) recent.shift();
    }
    if (!board) return;

    delta.cards.forEach((c) => keep("cards", c));
    delta.topics.forEach((t) => keep("topics", t));
    delta.removed_cards.forEach((id) => { board.cards.delete(id); removed.cards.set(id, delta.version); });
    delta.removed_topics.forEach((id) => { board.topics.delete(id); removed.topics.set(id, delta.version); });
    delta.questions.forEach((q) => {
      const at = board.questions.findIndex((x) => x.id === q.id);
      if (at >= 0) board.questions[at] = q;
      // Hidden again (the setting changed): others' cards leave the screens of those who may
      // not see them.
      if (q.hidden && board.undo === null) {
        board.cards.forEach((c, id) => { if (c.question_id === q.id && !isMine(c)) board.cards.delete(id); });
      }
    });
    if (delta.settings) board.settings = delta.settings;
    if (board.undo !== null && typeof delta.undo === "number") board.undo = delta.undo;
    board.version = Math.max(board.version, delta.version);
    noteVersions(delta.versions || [delta.version]);
    // A card in a topic this screen does not know: something was missed; ask for it all.
    const orphan = delta.cards.some((c) => c.topic_id && !board.topics.has(c.topic_id));
    if (orphan) refetch();
    if (!again) render();
  }

  let refetching = null;
  function refetch() {
    if (refetching || !socket.connected) return;
    refetching = live.send("board").then((ack) => {
      refetching = null;
      if (ack && ack.ok) load(ack.board);
    });
  }
  // An answer says which version the board reached: if the deltas never bring us there (one
  // was lost between processes), ask for the whole board.
  function expectVersion(version) {
    if (typeof version !== "number") return;
    setTimeout(() => { if (board && board.version < version) refetch(); }, 4000);
  }

  live.on("joined", (ack) => {
    if (ack.board) load(ack.board);
    flushPending();
  });
  socket.on("board_changes", applyChanges);

  // --- who sees what --------------------------------------------------------------------------

  const liveState = () => live.state();
  // The question under way; once the session is over, the projector keeps showing the last one.
  function currentQuestion({ ended = false } = {}) {
    const state = liveState();
    const status = state && state.meeting.status;
    if (!board || !(status === "live" || (ended && status === "closed"))) return null;
    return board.questions.find((q) => q.id === state.current_item_id) || null;
  }
  const staff = () => canGroup && board && board.undo !== null;
  const cardsOf = (questionId, topicId) => Array.from(board.cards.values())
    .filter((c) => c.question_id === questionId && (topicId === undefined || c.topic_id === topicId));
  const topicsOf = (questionId) => Array.from(board.topics.values())
    .filter((t) => t.question_id === questionId)
    .sort((a, b) => a.position - b.position || a.id - b.id);
  const newestFirst = (cards) => cards.sort((a, b) => (b.created_at > a.created_at ? 1 : -1) || b.id - a.id);
  const byPosition = (cards) => cards.sort((a, b) => a.position - b.position || a.id - b.id);
  const isMine = (card) => card.mine || board.mine.has(card.id);
  function authorOf(card) {
    if (card.anonymous) return isMine(card) ? T.anonymous_mine : T.anonymous;
    return card.author || "";
  }

  // --- rendering --------------------------------------------------------------------------------

  // The board is rebuilt on each change; focus and a half-typed text stay where they were.
  function render() {
    if (!board) return;
    const active = document.activeElement;
    const key = active && section.contains(active) ? active.dataset.focus : null;
    const caret = key && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
    // What is being chosen or typed in the columns (a topic's new name, a destination).
    const kept = new Map(Array.from(section.querySelectorAll("[data-keep]"), (n) => [n.dataset.keep, n.value]));
    if (projector) renderProjector(); else renderRoom();
    section.querySelectorAll("[data-keep]").forEach((n) => {
      const value = kept.get(n.dataset.keep);
      if (value === undefined) return;
      if (n.tagName !== "SELECT" || Array.from(n.options).some((o) => o.value === value)) n.value = value;
    });
    if (key) {
      const again = section.querySelector(`[data-focus="${CSS.escape(key)}"]`);
      if (again && again !== document.activeElement) {
        again.focus();
        if (caret && again.setSelectionRange) { try { again.setSelectionRange(...caret); } catch (_e) { /* a select */ } }
      }
    }
  }

  function cardText(card) {
    return el("p", { class: "board-card-text", text: card.text });
  }

  function renderProjector() {
    const question = currentQuestion({ ended: true });
    const columns = $("[data-board-columns]");
    if (!question) { columns.replaceChildren(); return; }
    const loose = newestFirst(cardsOf(question.id, null));
    const parts = [column(T.unsorted, loose, { newest: true })];
    topicsOf(question.id).forEach((topic) => {
      parts.push(column(topic.title, byPosition(cardsOf(question.id, topic.id)), { topic }));
    });
    if (question.hidden && question.hidden_cards) {
      parts[0].appendChild(el("p", { class: "board-waiting", text: waitingText(question.hidden_cards) }));
    }
    columns.replaceChildren(...parts);
    // Many topics: two rows of columns rather than columns too narrow to read.
    columns.classList.toggle("many", parts.length > 5);
    columns.querySelectorAll("[data-fit]").forEach(fit);
  }

  function column(title, cards, { topic = null } = {}) {
    const box = el("section", { class: "board-column" + (topic ? " topic" : " unsorted") });
    box.appendChild(el("h3", { text: title }));
    if (topic && topic.main_points_html) {
      const points = el("div", { class: "board-points prose" });
      points.innerHTML = topic.main_points_html; // sanitised by the server (core/text.py)
      box.appendChild(points);
    }
    const list = el("ul", { class: "board-cards", "data-fit": "" });
    cards.forEach((card) => {
      const li = el("li", { class: "board-card" }, [cardText(card)]);
      const who = card.anonymous ? "" : card.author || "";
      const meta = [who, card.backers ? `+${card.backers}` : ""].filter(Boolean).join(" · ");
      if (meta) li.appendChild(el("p", { class: "board-card-meta", text: meta }));
      list.appendChild(li);
    });
    box.appendChild(list);
    return box;
  }

  // The newest cards stay on screen: the oldest give way to "+N more" until the list fits.
  function fit(list) {
    const items = Array.from(list.children);
    let hidden = 0;
    const more = el("li", { class: "board-more" });
    while (list.scrollHeight > list.clientHeight + 1 && hidden < items.length) {
      hidden += 1;
      items[items.length - hidden].hidden = true;
      more.textContent = fmt(T.more, { count: hidden });
      if (!more.isConnected) list.appendChild(more);
    }
  }

  function waitingText(count) {
    return count === 1 ? T.waiting_one : fmt(T.waiting, { count });
  }

  function renderRoom() {
    const question = currentQuestion();
    $("[data-board-question]").textContent = question ? fmt(T.question, { title: question.title }) : T.no_question;
    const form = $("[data-board-add]");
    form.hidden = !question;
    $("[data-board-anonymous]").hidden = !board.settings.anonymous_cards;
    if (!board.settings.anonymous_cards) form.elements.anonymous.checked = false;
    const waiting = $("[data-board-waiting]");
    const hiddenCount = question && question.hidden ? question.hidden_cards : 0;
    waiting.hidden = !hiddenCount;
    waiting.textContent = hiddenCount ? waitingText(hiddenCount) : "";
    renderPending();
    const member = $("[data-board-member]");
    if (staff()) {
      member.replaceChildren();
      $("[data-board-staff]").hidden = false;
      renderStaff(question);
    } else {
      member.replaceChildren(...(question ? memberBoard(question) : []));
    }
  }

  // A member's phone: the loose cards, newest first (theirs and the latest are there), then the
  // question's topics with their main points.
  function memberBoard(question) {
    const parts = [];
    const loose = newestFirst(cardsOf(question.id, null));
    if (loose.length) {
      parts.push(el("section", { class: "board-topic" }, [el("h3", { text: T.unsorted }), memberCards(loose)]));
    }
    topicsOf(question.id).forEach((topic) => {
      const box = el("section", { class: "board-topic" }, [el("h3", { text: topic.title })]);
      const link = proposalLink(topic);
      if (link) box.appendChild(link);
      if (topic.main_points_html) {
        const points = el("div", { class: "board-points prose" });
        points.innerHTML = topic.main_points_html; // sanitised by the server
        box.appendChild(points);
      }
      box.appendChild(memberCards(byPosition(cardsOf(question.id, topic.id))));
      parts.push(box);
    });
    return parts;
  }

  function memberCards(cards) {
    return el("ul", { class: "board-cards" }, cards.map((card) => {
      const li = el("li", { class: "board-card", "data-card-id": String(card.id) }, [cardText(card)]);
      li.appendChild(el("p", { class: "board-card-meta", text: [authorOf(card), fmt(T.backers, { count: card.backers })].filter(Boolean).join(" · ") }));
      const actions = el("div", { class: "board-card-actions" });
      const backed = board.backed.has(card.id);
      actions.appendChild(el("button", {
        type: "button", class: "button", text: backed ? T.unback : T.back,
        "aria-pressed": backed ? "true" : "false", "data-board-card": backed ? "card_unback" : "card_back",
        "data-id": String(card.id), "data-focus": `back:${card.id}`,
      }));
      if (isMine(card)) {
        actions.appendChild(el("button", {
          type: "button", class: "button danger", text: T.delete,
          "data-board-card": "card_delete", "data-id": String(card.id),
        }));
      }
      li.appendChild(actions);
      return li;
    }));
  }

  // --- the facilitator's board ------------------------------------------------------------------

  function groupingQuestion(current) {
    const chosen = board.questions.find((q) => q.id === picked);
    return chosen || current || board.questions[0] || null;
  }

  function renderStaff(current) {
    const question = groupingQuestion(current);
    const pick = $("[data-board-pick]");
    pick.replaceChildren(...board.questions.map((q) => el("option", { value: String(q.id), text: q.title })));
    if (question) pick.value = String(question.id);
    section.querySelectorAll("[data-board-setting]").forEach((box) => { box.checked = !!board.settings[box.dataset.boardSetting]; });
    $('[data-board-do="reveal"]').hidden = !(question && question.hidden);
    const undo = $('[data-board-do="undo"]');
    undo.textContent = fmt(T.undo, { count: board.undo });
    undo.disabled = !board.undo;
    const columns = $("[data-board-columns]");
    if (!question) { columns.replaceChildren(); return; }
    const topics = topicsOf(question.id);
    const parts = [staffColumn(question, null, topics)];
    topics.forEach((topic) => parts.push(staffColumn(question, topic, topics)));
    parts.push(el("div", { class: "board-column board-drop-new", "data-drop": "new" }, [
      el("h4", { text: T.new_topic }), el("p", { class: "muted", text: T.drop_new }),
    ]));
    columns.replaceChildren(...parts);
  }

  function staffColumn(question, topic, topics) {
    const cards = topic ? byPosition(cardsOf(question.id, topic.id)) : newestFirst(cardsOf(question.id, null));
    const box = el("section", {
      class: "board-column" + (topic ? " topic" : " unsorted"),
      "data-drop": topic ? `topic:${topic.id}` : "unsorted",
    });
    if (!topic) {
      box.appendChild(el("h4", { text: T.unsorted }));
    } else {
      box.setAttribute("data-topic-id", String(topic.id));
      box.appendChild(el("h4", { text: topic.title }));
      const total = cards.reduce((sum, c) => sum + c.backers, 0);
      box.appendChild(el("p", { class: "board-card-meta", text: fmt(T.topic_backers, { count: total }) }));
      const link = proposalLink(topic);
      if (link) box.appendChild(link);
      box.appendChild(topicTools(topic, topics));
    }
    box.appendChild(el("ul", { class: "board-cards" }, cards.map((card) => staffCard(question, card, topics))));
    if (topic) box.appendChild(mainPoints(topic));
    return box;
  }

  function topicTools(topic, topics) {
    const tools = el("div", { class: "board-topic-tools" });
    if (renaming === topic.id) {
      const input = el("input", {
        id: `topic-name-${topic.id}`, value: topic.title, maxLength: 120,
        "data-focus": `rename-input:${topic.id}`, "data-rename-input": String(topic.id), "data-keep": `rename:${topic.id}`,
      });
      tools.append(
        el("label", { htmlFor: input.id, text: T.rename_label }), input,
        el("button", { type: "button", class: "button small primary", text: T.save, "data-board-topic": "rename_save", "data-id": String(topic.id) }),
        el("button", { type: "button", class: "button small", text: T.cancel, "data-board-topic": "rename_cancel", "data-id": String(topic.id) }),
      );
    } else {
      tools.appendChild(el("button", {
        type: "button", class: "button small", text: T.rename, "data-board-topic": "rename",
        "data-id": String(topic.id), "data-focus": `rename:${topic.id}`, "aria-label": `${T.rename}: ${topic.title}`,
      }));
    }
    const others = topics.filter((t) => t.id !== topic.id);
    if (others.length) {
      const select = el("select", { id: `merge-${topic.id}`, "data-focus": `merge-pick:${topic.id}`, "data-merge-pick": String(topic.id), "data-keep": `merge:${topic.id}` },
        others.map((t) => el("option", { value: String(t.id), text: t.title })));
      tools.append(
        el("label", { htmlFor: select.id, text: T.merge_into }), select,
        el("button", { type: "button", class: "button small", text: T.merge, "data-board-topic": "merge", "data-id": String(topic.id), "data-focus": `merge:${topic.id}`, "aria-label": `${T.merge}: ${topic.title}` }),
      );
    }
    return tools;
  }

  function staffCard(question, card, topics) {
    const li = el("li", {
      class: "board-card" + (hints[card.id] ? " similar" : ""), draggable: true,
      "data-card-id": String(card.id),
    }, [cardText(card)]);
    li.appendChild(el("p", { class: "board-card-meta", text: [authorOf(card), fmt(T.backers, { count: card.backers })].filter(Boolean).join(" · ") }));
    const near = (hints[card.id] || []).map((id) => board.cards.get(id)).filter(Boolean);
    if (near.length) {
      const texts = near.slice(0, 3).map((c) => `“${c.text.slice(0, 80)}”`).join(", ") + (near.length > 3 ? "…" : "");
      li.appendChild(el("p", { class: "board-similar", text: fmt(T.similar, { texts }) }));
      li.appendChild(el("button", { type: "button", class: "button small", text: T.group_together, "data-board-card": "group", "data-id": String(card.id) }));
    }
    const tools = el("div", { class: "board-card-actions" });
    const boxId = `select-card-${card.id}`;
    const check = el("input", { type: "checkbox", id: boxId, checked: selected.has(card.id), "data-select-card": String(card.id), "data-focus": `select:${card.id}` });
    tools.appendChild(el("label", { class: "board-check", htmlFor: boxId }, [check, document.createTextNode(" " + T.select)]));
    tools.appendChild(el("button", {
      type: "button", class: "button small", text: T.move, "aria-expanded": moving === card.id ? "true" : "false",
      "data-board-card": "move_open", "data-id": String(card.id), "data-focus": `move:${card.id}`,
      "aria-label": `${T.move} ${card.text.slice(0, 60)}`,
    }));
    tools.appendChild(el("button", { type: "button", class: "button small", text: T.split, "data-board-card": "card_split", "data-id": String(card.id), "data-focus": `split:${card.id}` }));
    li.appendChild(tools);
    if (moving === card.id) li.appendChild(movePanel(question, card, topics));
    return li;
  }

  // Moving without a mouse: a list of destinations, operable with Tab, arrows and Enter.
  function movePanel(question, card, topics) {
    const select = el("select", { id: `move-to-${card.id}`, "data-move-pick": String(card.id), "data-focus": `move-pick:${card.id}`, "data-keep": `move:${card.id}` });
    if (card.topic_id) select.appendChild(el("option", { value: "unsorted", text: T.to_unsorted }));
    topics.filter((t) => t.id !== card.topic_id).forEach((t) => select.appendChild(el("option", { value: `topic:${t.id}`, text: t.title })));
    select.appendChild(el("option", { value: "new", text: T.to_new }));
    board.questions.filter((q) => q.id !== question.id).forEach((q) => {
      select.appendChild(el("option", { value: `question:${q.id}`, text: fmt(T.to_question, { title: q.title }) }));
    });
    return el("div", { class: "board-move", "data-move-panel": String(card.id) }, [
      el("label", { htmlFor: select.id, text: T.move_to }), select,
      el("button", { type: "button", class: "button small primary", text: T.move_do, "data-board-card": "move_do", "data-id": String(card.id), "data-focus": `move-do:${card.id}` }),
      el("button", { type: "button", class: "button small", text: T.cancel, "data-board-card": "move_cancel", "data-id": String(card.id) }),
    ]);
  }

  function mainPoints(topic) {
    const box = el("div", { class: "board-points-edit" });
    box.appendChild(el("h5", { text: T.points_title }));
    const shown = el("div", { class: "board-points prose", "data-points-of": String(topic.id) });
    shown.innerHTML = topic.main_points_html; // sanitised by the server
    if (conflicts.has(topic.id)) {
      box.appendChild(el("p", { class: "board-conflict", role: "alert", text: T.points_conflict }));
    }
    box.appendChild(shown);
    const draft = drafts.get(topic.id);
    const area = el("textarea", {
      id: `points-${topic.id}`, rows: 4, value: draft ? draft.text : topic.main_points,
      "data-points": String(topic.id), "data-focus": `points:${topic.id}`,
    });
    box.append(
      el("label", { htmlFor: area.id, text: T.points }), area,
      el("button", { type: "button", class: "button small primary", text: T.points_save, "data-board-topic": "points_save", "data-id": String(topic.id), "data-focus": `points-save:${topic.id}` }),
    );
    return box;
  }

  // --- actions --------------------------------------------------------------------------------

  function announce(text) {
    const box = $("[data-board-announce]") || $("[data-board-notice]");
    if (box) box.textContent = text;
  }

  async function act(event, payload, done) {
    const ack = await live.send(event, payload);
    if (ack && ack.ok) {
      if (typeof ack.version === "number") expectVersion(ack.version);
      if (done) done(ack);
    }
    return ack;
  }

  function placeName(topicId) {
    const topic = board.topics.get(topicId);
    return topic ? topic.title : T.unsorted;
  }

  function moveCard(cardId, destination) {
    const card = board.cards.get(cardId);
    if (!card) return;
    moving = null;
    if (destination === "new") {
      act("card_split", { card_id: cardId }, () => announce(fmt(T.created, { title: card.text.slice(0, 60) })));
    } else if (destination === "unsorted") {
      act("card_move", { card_id: cardId, topic_id: null }, () => announce(fmt(T.moved, { place: T.unsorted })));
    } else if (destination.startsWith("topic:")) {
      const topicId = Number(destination.slice(6));
      act("card_move", { card_id: cardId, topic_id: topicId }, () => announce(fmt(T.moved, { place: placeName(topicId) })));
    } else if (destination.startsWith("question:")) {
      const questionId = Number(destination.slice(9));
      const q = board.questions.find((x) => x.id === questionId);
      act("card_move", { card_id: cardId, topic_id: null, question_id: questionId }, () => announce(fmt(T.moved, { place: q ? q.title : "" })));
    }
    render();
  }

  section.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !board) return;
    const id = Number(button.dataset.id);
    const cardAction = button.dataset.boardCard;
    const topicAction = button.dataset.boardTopic;
    const doing = button.dataset.boardDo;
    const pendingAction = button.dataset.pending;
    if (cardAction === "card_back") act("card_back", { card_id: id }, () => { board.backed.add(id); render(); });
    else if (cardAction === "card_unback") act("card_unback", { card_id: id }, () => { board.backed.delete(id); render(); });
    else if (cardAction === "card_delete") act("card_delete", { card_id: id });
    else if (cardAction === "card_split") act("card_split", { card_id: id }, () => announce(fmt(T.created, { title: (board.cards.get(id) || { text: "" }).text.slice(0, 60) })));
    else if (cardAction === "move_open") {
      moving = moving === id ? null : id;
      render();
      const pick = section.querySelector(`[data-move-pick="${id}"]`);
      if (pick) pick.focus();
    } else if (cardAction === "move_cancel") {
      moving = null; render();
      const back = section.querySelector(`[data-focus="move:${id}"]`);
      if (back) back.focus();
    } else if (cardAction === "move_do") {
      const pick = section.querySelector(`[data-move-pick="${id}"]`);
      if (pick) moveCard(id, pick.value);
      const back = section.querySelector(`[data-focus="move:${id}"]`);
      if (back) back.focus();
    } else if (cardAction === "group") {
      const card = board.cards.get(id);
      const ids = [id, ...(hints[id] || [])].filter((x) => board.cards.has(x));
      act("topic_create", { question_id: card.question_id, title: card.text.slice(0, 60), card_ids: ids }, () => {
        ids.forEach((x) => delete hints[x]);
        announce(fmt(T.created, { title: card.text.slice(0, 60) }));
      });
    } else if (topicAction === "rename") {
      renaming = id; render();
      const input = section.querySelector(`[data-rename-input="${id}"]`);
      if (input) { input.focus(); input.select(); }
    } else if (topicAction === "rename_cancel") {
      renaming = null; render();
    } else if (topicAction === "rename_save") {
      renameTopic(id);
    } else if (topicAction === "merge") {
      const pick = section.querySelector(`[data-merge-pick="${id}"]`);
      if (!pick) return;
      const into = Number(pick.value);
      act("topic_merge", { topic_id: id, into_id: into }, () => announce(fmt(T.merged, { title: placeName(into) })));
    } else if (topicAction === "points_save") {
      savePoints(id);
    } else if (doing === "undo") {
      act("board_undo", {}, () => announce(T.undone));
    } else if (doing === "reveal") {
      const question = groupingQuestion(currentQuestion());
      if (question) act("board_reveal", { question_id: question.id });
    } else if (doing === "hints") {
      const question = groupingQuestion(currentQuestion());
      if (question) {
        act("board_hints", { question_id: question.id }, (ack) => {
          hints = {};
          Object.entries(ack.hints).forEach(([k, v]) => { if (v.length) hints[Number(k)] = v; });
          const count = Object.keys(hints).length;
          announce(count ? fmt(T.hints_found, { count }) : T.no_hints);
          render();
        });
      }
    } else if (doing === "prioritise") {
      const question = groupingQuestion(currentQuestion());
      const dots = Number(($("[data-board-dots]") || {}).value || 3);
      if (question) act("topics_prioritise", { question_id: question.id, dots }, () => announce(T.prioritising));
    } else if (pendingAction) {
      pendingButton(pendingAction, button.dataset.clientId);
    }
  });

  function renameTopic(id) {
    const input = section.querySelector(`[data-rename-input="${id}"]`);
    if (!input) return;
    act("topic_rename", { topic_id: id, title: input.value }, () => {
      renaming = null;
      announce(T.renamed);
      render();
      const back = section.querySelector(`[data-focus="rename:${id}"]`);
      if (back) back.focus();
    });
  }

  function savePoints(id) {
    const topic = board.topics.get(id);
    const area = section.querySelector(`[data-points="${id}"]`);
    if (!topic || !area) return;
    const draft = drafts.get(id);
    const base = draft ? draft.base : topic.main_points_version;
    drafts.set(id, { text: area.value, base });
    live.socket.timeout(10000).emit("main_points_save", { meeting_id: meetingId, topic_id: id, text: area.value, base_version: base }, (err, ack) => {
      if (err) { live.showError(T.pending); return; }
      if (ack.ok) {
        drafts.delete(id);
        conflicts.delete(id);
        live.clearError();
        expectVersion(ack.version);
        announce(T.points_saved);
        render();
        return;
      }
      if (ack.error.code === "edited_meanwhile") {
        // Their version is shown; ours stays in the box, and the next save knowingly replaces it.
        conflicts.add(id);
        live.send("board").then((fresh) => {
          if (fresh && fresh.ok) load(fresh.board);
          const now = board.topics.get(id);
          drafts.set(id, { text: area.value, base: now ? now.main_points_version : base });
          render();
        });
      } else {
        live.showError(ack.error.message);
      }
    });
  }

  section.addEventListener("input", (event) => {
    const area = event.target.closest("[data-points]");
    if (area) {
      const id = Number(area.dataset.points);
      const topic = board.topics.get(id);
      const old = drafts.get(id);
      drafts.set(id, { text: area.value, base: old ? old.base : topic.main_points_version });
    }
    if (event.target.name === "text" && event.target.closest("[data-board-add]")) {
      updateCount();
      saveDraft();
    }
  });

  section.addEventListener("change", (event) => {
    const target = event.target;
    if (target.dataset.selectCard) {
      const id = Number(target.dataset.selectCard);
      if (target.checked) selected.add(id); else selected.delete(id);
    } else if (target.dataset.boardSetting) {
      const values = { ...board.settings };
      section.querySelectorAll("[data-board-setting]").forEach((box) => { values[box.dataset.boardSetting] = box.checked; });
      act("board_settings", values);
    } else if (target.matches("[data-board-pick]")) {
      picked = Number(target.value);
      hints = {};
      render();
    }
  });

  section.addEventListener("keydown", (event) => {
    const input = event.target.closest("[data-rename-input]");
    if (input && event.key === "Enter") { event.preventDefault(); renameTopic(Number(input.dataset.renameInput)); }
    const pick = event.target.closest("[data-move-pick]");
    if (pick && event.key === "Enter") { event.preventDefault(); moveCard(Number(pick.dataset.movePick), pick.value); }
    if (event.key === "Escape" && moving !== null) {
      const id = moving;
      moving = null; render();
      const back = section.querySelector(`[data-focus="move:${id}"]`);
      if (back) back.focus();
    }
  });

  const newTopic = $("[data-board-new-topic]");
  if (newTopic) {
    newTopic.addEventListener("submit", (event) => {
      event.preventDefault();
      const title = newTopic.elements.title.value.trim();
      const question = groupingQuestion(currentQuestion());
      if (!question) return;
      if (!title) { announce(T.need_title); return; }
      const ids = Array.from(selected).filter((id) => (board.cards.get(id) || {}).question_id === question.id);
      if (!ids.length) { announce(T.need_cards); return; }
      act("topic_create", { question_id: question.id, title, card_ids: ids }, () => {
        selected.clear();
        newTopic.elements.title.value = "";
        announce(fmt(T.created, { title }));
      });
    });
  }

  // Grouping with the mouse: a card dropped on a topic, on "unsorted" or on "new topic".
  section.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest("[data-card-id][draggable]");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.dataset.cardId);
    event.dataTransfer.effectAllowed = "move";
  });
  section.addEventListener("dragover", (event) => {
    if (event.target.closest && event.target.closest("[data-drop]")) event.preventDefault();
  });
  section.addEventListener("drop", (event) => {
    const zone = event.target.closest && event.target.closest("[data-drop]");
    if (!zone) return;
    event.preventDefault();
    const id = Number(event.dataTransfer.getData("text/plain"));
    const card = board && board.cards.get(id);
    if (!card) return;
    const to = zone.dataset.drop;
    if (to === "unsorted" && !card.topic_id) return;
    if (to === `topic:${card.topic_id}`) return;
    moveCard(id, to);
  });

  // --- cards from a phone: nothing typed is lost ------------------------------------------------

  const storeKey = `assembly.board.${meetingId}.${userId}`;
  const draftKey = `${storeKey}.draft`;
  const readStore = (key, fallback) => {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (_e) { return fallback; }
  };
  const writeStore = (key, value) => { try { localStorage.setItem(key, JSON.stringify(value)); } catch (_e) { /* private mode */ } };
  let pending = readStore(storeKey, []); // [{client_id, question_id, text, anonymous, refused?}]
  const sending = new Set();
  const savePending = () => writeStore(storeKey, pending);
  const form = $("[data-board-add]");
  const textBox = form && form.elements.text;

  function notice(text) {
    const box = $("[data-board-notice]");
    if (box) box.textContent = text;
  }
  function updateCount() {
    const counter = $("[data-board-count]");
    if (counter && textBox) {
      counter.textContent = fmt(T.count, { count: textBox.value.length });
      counter.classList.toggle("over", textBox.value.length > MAX);
    }
  }
  function saveDraft() { if (textBox) writeStore(draftKey, textBox.value); }
  if (textBox) {
    textBox.value = readStore(draftKey, "") || textBox.value;
    updateCount();
  }

  function renderPending() {
    const list = $("[data-board-pending]");
    if (!list) return;
    list.replaceChildren(...pending.map((p) => {
      const li = el("li", { class: "board-card pending" + (p.refused ? " refused" : ""), "data-client-id": p.client_id });
      li.appendChild(cardText(p));
      li.appendChild(el("p", { class: "board-card-meta", text: p.refused ? fmt(T.refused, { message: p.refused }) : sending.has(p.client_id) ? T.sending : T.pending }));
      if (p.refused) {
        li.appendChild(el("div", { class: "board-card-actions" }, [
          el("button", { type: "button", class: "button", text: T.retry, "data-pending": "retry", "data-client-id": p.client_id }),
          el("button", { type: "button", class: "button", text: T.edit, "data-pending": "edit", "data-client-id": p.client_id }),
          el("button", { type: "button", class: "button danger", text: T.discard, "data-pending": "discard", "data-client-id": p.client_id }),
        ]));
      } else if (!sending.has(p.client_id)) {
        li.appendChild(el("div", { class: "board-card-actions" }, [
          el("button", { type: "button", class: "button", text: T.retry, "data-pending": "retry", "data-client-id": p.client_id }),
        ]));
      }
      return li;
    }));
  }

  function pendingButton(action, clientId) {
    const entry = pending.find((p) => p.client_id === clientId);
    if (!entry) return;
    if (action === "retry") { delete entry.refused; savePending(); sendCard(entry); return; }
    if (action === "edit" && textBox) {
      // Back into the box (after what is already there): never lost, ready to change and send.
      textBox.value = textBox.value ? `${textBox.value}\n${entry.text}` : entry.text;
      updateCount();
      saveDraft();
      textBox.focus();
    }
    pending = pending.filter((p) => p.client_id !== clientId);
    savePending();
    renderPending();
  }

  const online = () => socket.connected && navigator.onLine !== false;

  function sendCard(entry) {
    if (!online() || sending.has(entry.client_id)) { renderPending(); return; }
    sending.add(entry.client_id);
    renderPending();
    const payload = { meeting_id: meetingId, question_id: entry.question_id, text: entry.text, client_id: entry.client_id };
    if (entry.anonymous) payload.anonymous = true;
    socket.timeout(10000).emit("card_add", payload, (err, ack) => {
      sending.delete(entry.client_id);
      if (err) { renderPending(); return; } // no answer: still pending, sent again on return
      if (ack.ok) {
        pending = pending.filter((p) => p.client_id !== entry.client_id);
        savePending();
        if (board) {
          board.mine.add(ack.card.id);
          keep("cards", { ...ack.card, mine: true });
          expectVersion(ack.version);
        }
        notice(T.sent);
        render();
        renderPending();
        return;
      }
      entry.refused = ack.error.message;
      savePending();
      notice(fmt(T.refused, { message: ack.error.message }));
      renderPending();
    });
  }

  function flushPending() {
    pending.filter((p) => !p.refused).forEach(sendCard);
    renderPending();
  }
  // Back online: reconnect now rather than at the next backed-off attempt (seconds away); the
  // new join sends what waits.
  window.addEventListener("online", () => {
    if (socket.connected) flushPending();
    else if (pending.length) socket.disconnect().connect();
  });
  window.addEventListener("offline", renderPending);
  socket.on("disconnect", renderPending);

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Array.from({ length: 4 }, () => Math.random().toString(36).slice(2, 10)).join("").slice(0, 32).padEnd(16, "0");
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = textBox.value.trim();
      if (!text) { notice(T.empty); textBox.focus(); return; }
      if (text.length > MAX) { notice(T.too_long); textBox.focus(); return; }
      const question = currentQuestion();
      if (!question) { notice(T.no_question); return; }
      const entry = {
        client_id: newClientId(), question_id: question.id, text,
        anonymous: !!(form.elements.anonymous && form.elements.anonymous.checked && board.settings.anonymous_cards),
      };
      // Stored before it leaves: a closed tab or a lost connection loses nothing.
      pending.push(entry);
      savePending();
      textBox.value = "";
      saveDraft();
      updateCount();
      if (!online()) notice(T.pending);
      sendCard(entry);
    });
  }

  live.on("render", render);
  renderPending();
})();

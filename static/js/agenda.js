// The agenda: reorder items by dragging their handle, or with the ↑ ↓ buttons from the keyboard
// (plain forms, which also work without JavaScript). The new order goes to the server as JSON,
// with the CSRF token.
(() => {
  "use strict";

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-print]");
    if (button) window.print();
  });

  const lists = document.querySelectorAll("ol[data-reorder-url]");
  if (!lists.length) return;
  const status = document.querySelector("[data-reorder-status]");

  const ownItems = (list) =>
    Array.from(list.children).filter((li) => li.matches("li[data-item-id]"));
  const ids = (list) => ownItems(list).map((li) => Number(li.dataset.itemId));

  function say(message) {
    if (status) status.textContent = message;
  }

  async function save(list, before) {
    const order = ids(list);
    if (order.join() === before.join()) return;
    const parent = list.dataset.parent ? Number(list.dataset.parent) : null;
    try {
      const response = await fetch(list.dataset.reorderUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": list.dataset.csrf,
        },
        body: JSON.stringify({ parent, order }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        throw new Error((body && body.error && body.error.message) || list.dataset.error);
      }
      say(list.dataset.saved);
    } catch (error) {
      // Put the items back where the server still has them.
      const byId = new Map(ownItems(list).map((li) => [Number(li.dataset.itemId), li]));
      before.forEach((id) => list.appendChild(byId.get(id)));
      say(error.message || list.dataset.error);
    }
  }

  // The ↑ ↓ buttons, with the script: the item moves at once and the new order is saved as a
  // drag saves it; the focus stays on the button pressed, so it can be pressed again (on the
  // other one once the item reaches the edge, where the pressed one is hidden).
  function focusMoved(li, up) {
    const items = ownItems(li.parentElement);
    const first = items[0] === li;
    const last = items[items.length - 1] === li;
    const wanted = (up && !first) || (!up && last) ? "move-up" : "move-down";
    const button = li.querySelector(`:scope > .item-controls > form.${wanted} button`);
    if (button) button.focus();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form.move-up, form.move-down");
    const li = form && form.closest("li[data-item-id]");
    const list = li && li.parentElement;
    if (!list || !list.matches("ol[data-reorder-url]")) return;
    event.preventDefault();
    const up = form.classList.contains("move-up");
    const before = ids(list);
    const neighbour = up ? li.previousElementSibling : li.nextElementSibling;
    if (neighbour && neighbour.matches("li[data-item-id]")) {
      list.insertBefore(li, up ? neighbour : neighbour.nextElementSibling);
    }
    focusMoved(li, up);
    save(list, before).then(() => focusMoved(li, up));
  });

  lists.forEach((list) => {
    let dragged = null;
    let before = [];

    ownItems(list).forEach((li) => {
      const handle = li.querySelector(":scope > .item-controls > .drag-handle");
      if (!handle) return;
      handle.hidden = false;
      handle.addEventListener("pointerdown", () => {
        li.draggable = true;
      });
      li.addEventListener("dragend", () => {
        li.draggable = false;
      });
    });

    list.addEventListener("dragstart", (event) => {
      const li = event.target.closest("li[data-item-id]");
      if (!li || li.parentElement !== list) return;
      event.stopPropagation();
      dragged = li;
      before = ids(list);
      li.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.dataset.itemId);
    });

    list.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      event.stopPropagation();
      const target = ownItems(list).find((li) => {
        const box = li.getBoundingClientRect();
        return event.clientY >= box.top && event.clientY <= box.bottom;
      });
      if (!target || target === dragged) return;
      const box = target.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? target.nextSibling : target);
    });

    list.addEventListener("drop", (event) => {
      if (dragged) event.preventDefault();
    });

    list.addEventListener("dragend", (event) => {
      if (!dragged) return;
      event.stopPropagation();
      dragged.classList.remove("dragging");
      dragged.draggable = false;
      dragged = null;
      save(list, before);
    });
  });
})();

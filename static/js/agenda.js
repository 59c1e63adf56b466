// The agenda: reorder items by dragging their handle; the ↑ ↓ buttons do the same without
// JavaScript or a mouse. The new order goes to the server as JSON, with the CSRF token.
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

// The poll form: show only the settings the chosen method uses. Without this script every
// setting shows, and the server ignores those the method does not use.
(() => {
  "use strict";
  const form = document.querySelector("[data-poll-form]");
  if (!form) return;
  const checked = (name) => {
    const input = form.querySelector(`input[name="${name}"]:checked`);
    return input ? input.value : null;
  };
  const box = (name) => form.querySelector(`input[type=checkbox][name="${name}"]`);

  function update() {
    const method = checked("method") || "yes_no";
    form.querySelectorAll("[data-for-methods]").forEach((node) => {
      node.hidden = !node.dataset.forMethods.split(" ").includes(method);
    });
    const election = box("election");
    const isElection = !!(election && election.checked);
    form.querySelectorAll("[data-when-election]").forEach((node) => { node.hidden = !isElection; });
    form.querySelectorAll("[data-unless-election]").forEach((node) => { node.hidden = isElection; });
    const eligibility = checked("eligibility");
    form.querySelectorAll("[data-when-all-members]").forEach((node) => {
      node.hidden = eligibility !== null && eligibility !== "all_members";
    });
    // A secret ballot cannot be watched as it comes in (it stays sealed until the close).
    const secret = checked("secret") === "secret";
    ["show_running_results"].forEach((name) => {
      const input = box(name);
      if (!input) return;
      input.disabled = secret;
      if (secret) input.checked = false;
    });
  }
  form.addEventListener("change", update);
  update();
})();

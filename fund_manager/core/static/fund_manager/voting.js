// Live count of a session and voting without reloading the page.
// Progressive enhancement: without this script the vote buttons post their form and the server
// redirects back to the page. With it, the counts come from tally.json every 3 seconds and are
// updated in place (inside aria-live regions), and a vote is sent with fetch().
(function () {
  "use strict";
  var root = document.getElementById("live-tally");
  if (!root || !root.dataset.tallyUrl || !window.fetch || !window.FormData) { return; }
  var url = root.dataset.tallyUrl;
  var INTERVAL = 3000;
  var timer = null;
  var stopped = false;

  function setText(element, text) {
    // Only real changes, so that screen readers announce nothing while nothing happens.
    if (element && element.textContent !== text) { element.textContent = text; }
  }
  function list(names) { return names.length ? names.join(", ") : "–"; }
  function field(container, name) { return container.querySelector('[data-field="' + name + '"]'); }

  function markVote(form, choice) {
    var chosen = null;
    form.querySelectorAll('button[name="choice"]').forEach(function (button) {
      var pressed = button.value === choice;
      if (pressed) { chosen = button.textContent.trim(); }
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      // KERN: the chosen answer is the primary button, the others secondary.
      button.classList.toggle("kern-btn--primary", pressed);
      button.classList.toggle("kern-btn--secondary", !pressed);
    });
    // The agenda index at the top of the voting page shows the vote beside each item.
    var mark = document.querySelector('[data-my-vote="' + form.dataset.item + '"]');
    if (mark && chosen) { setText(mark, mark.dataset.votedText + " " + chosen); }
  }

  function updateItem(item) {
    var box = root.querySelector('[data-tally-item="' + item.id + '"]');
    if (box) {
      ["yes", "no", "abstain", "quorum_text"].forEach(function (name) {
        setText(field(box, name), String(item[name]));
      });
      setText(field(box, "not_voted"), list(item.not_voted));
      setText(field(box, "recused"), list(item.recused.map(function (r) {
        return r.name + " (" + r.reason_label + ")";
      })));
    }
    var form = root.querySelector('form.vote-form[data-item="' + item.id + '"]');
    if (form) {
      markVote(form, item.my_vote);
      if (item.my_recusal) { form.hidden = true; }
    }
  }

  function apply(payload) {
    payload.items.forEach(updateItem);
    if (!payload.open && !stopped) {
      // The chair closed the session: show the page as it is now (results, no buttons).
      stopped = true;
      window.location.reload();
    }
  }

  function schedule() {
    if (!stopped) { timer = window.setTimeout(poll, INTERVAL); }
  }

  function poll() {
    if (document.hidden) { schedule(); return; }
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 403) { stopped = true; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(apply)
      .catch(function () { /* keep the last counts and try again */ })
      .then(schedule);
  }

  function postNormally(form, choice) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "choice";
    input.value = choice;
    form.appendChild(input);
    HTMLFormElement.prototype.submit.call(form);
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (!form.classList.contains("vote-form") || !button || button.name !== "choice") { return; }
    event.preventDefault();
    var data = new FormData(form);
    data.append("choice", button.value);
    var token = form.querySelector("input[name='csrfmiddlewaretoken']");
    var status = field(form, "status");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        buttons.forEach(function (b) { b.disabled = false; });
        setText(status, result.body.detail || "");
        if (result.ok) { apply(result.body); }
      })
      .catch(function () {
        // No JSON answer (e.g. an expired session or CSRF token): let the server handle a
        // normal form post and show its message.
        postNormally(form, button.value);
      });
  });

  window.clearTimeout(timer);
  schedule();
})();

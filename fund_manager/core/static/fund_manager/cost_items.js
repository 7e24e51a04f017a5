// Cost plan rows: add and remove rows in the page and show the running total.
// Works on a Django formset whose empty form is kept in <template id="cost-item-template">.
(function () {
  "use strict";
  var table = document.getElementById("cost-items");
  if (!table) { return; }
  var prefix = table.dataset.prefix;
  var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  var template = document.getElementById("cost-item-template");
  var body = table.querySelector("tbody");
  var sum = document.getElementById("cost-sum");
  var lang = document.documentElement.lang || "de";

  function parse(text) {
    text = (text || "").replace(/\s|€/g, "");
    if (lang.indexOf("de") === 0) { text = text.replace(/\./g, "").replace(",", "."); }
    else { text = text.replace(/,/g, ""); }
    var value = parseFloat(text);  // display only; the server parses and validates exactly
    return isNaN(value) ? 0 : value;
  }
  function refresh() {
    if (!sum) { return; }
    var cents = 0;
    body.querySelectorAll("tr").forEach(function (row) {
      var del = row.querySelector("input[name$='-DELETE']");
      var amount = row.querySelector("input[name$='-amount']");
      if (amount && !(del && del.checked)) { cents += Math.round(parse(amount.value) * 100); }
    });
    sum.textContent = (cents / 100).toLocaleString(lang, { style: "currency", currency: "EUR" });
  }
  document.getElementById("add-cost-item").addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, index);
    body.insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    var rows = body.querySelectorAll("tr");
    var first = rows[rows.length - 1].querySelector("select, input");
    if (first) { first.focus(); }
  });
  body.addEventListener("change", function (event) {
    if (event.target.name && /-DELETE$/.test(event.target.name)) {
      event.target.closest("tr").classList.toggle("removed", event.target.checked);
    }
    refresh();
  });
  body.addEventListener("input", refresh);
  refresh();
})();

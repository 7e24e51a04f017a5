// Cost plan of the application form: add and remove cost items in the page and show the running
// total. Works on a Django formset whose items are stacked blocks ([data-cost-row]) inside
// #cost-items; the empty form is kept in <template id="cost-item-template"> with "__prefix__"
// (the form's index) and "__number__" (its number as people count, in the legend).
(function () {
  "use strict";
  var list = document.getElementById("cost-items");
  if (!list) { return; }
  var prefix = list.dataset.prefix;
  var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  var template = document.getElementById("cost-item-template");
  var sum = document.getElementById("cost-sum");
  var lang = document.documentElement.lang || "de";

  function rows() { return list.querySelectorAll("[data-cost-row]"); }
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
    rows().forEach(function (row) {
      var del = row.querySelector("input[name$='-DELETE']");
      var amount = row.querySelector("input[name$='-amount']");
      if (amount && !(del && del.checked)) { cents += Math.round(parse(amount.value) * 100); }
    });
    sum.textContent = (cents / 100).toLocaleString(lang, { style: "currency", currency: "EUR" });
  }
  document.getElementById("add-cost-item").addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, index).replace(/__number__/g, index + 1);
    list.insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    var all = rows();
    var first = all[all.length - 1].querySelector("select, input");
    if (first) { first.focus(); }
  });
  list.addEventListener("change", function (event) {
    if (event.target.name && /-DELETE$/.test(event.target.name)) {
      event.target.closest("[data-cost-row]").classList.toggle("removed", event.target.checked);
    }
    refresh();
  });
  list.addEventListener("input", refresh);
  refresh();
})();

// The main navigation folds behind "Menü" on narrow screens (below 992 px). Without this
// script the navigation stays open: nothing is hidden from a browser without JavaScript.
(function () {
  "use strict";
  function setUp() {
    var toggle = document.querySelector(".fm-nav-toggle");
    var nav = document.querySelector(".main-nav");
    if (!toggle || !nav) return;
    var wide = window.matchMedia("(min-width: 992px)");
    function collapse(closed) {
      nav.setAttribute("data-collapsed", closed ? "true" : "false");
      toggle.setAttribute("aria-expanded", closed ? "false" : "true");
    }
    toggle.hidden = false;
    collapse(!wide.matches);
    toggle.addEventListener("click", function () {
      collapse(toggle.getAttribute("aria-expanded") === "true");
    });
    wide.addEventListener("change", function (event) { collapse(!event.matches); });
    var here = window.location.pathname;
    nav.querySelectorAll(".fm-nav__list a").forEach(function (link) {
      if (link.getAttribute("href") === here) link.setAttribute("aria-current", "page");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();

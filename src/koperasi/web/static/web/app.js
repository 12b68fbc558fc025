/* Page behaviour without inline script (the Content-Security-Policy allows none):
   - <button data-action="print"> prints the page;
   - <form data-confirm="Question?"> asks before it is sent;
   - on a wide screen the header menu is open (browsers that know ::details-content do this in
     app.css alone). */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action='print']");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  function openMenuOnWideScreens() {
    if (window.CSS && CSS.supports && CSS.supports("selector(::details-content)")) {
      return;
    }
    var wide = window.matchMedia("(min-width: 64rem)");
    var menu = document.querySelector("details.site-menu");
    if (!menu) {
      return;
    }
    var apply = function () { menu.open = wide.matches; };
    apply();
    if (wide.addEventListener) {
      wide.addEventListener("change", apply);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openMenuOnWideScreens);
  } else {
    openMenuOnWideScreens();
  }
})();

// The portal's behaviour beyond htmx. No inline scripts anywhere: every page loads this file.
(function () {
  "use strict";
  // After htmx swaps the results of a list page, move focus there so keyboard and screen
  // reader users land on what changed.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "results") {
      event.detail.target.setAttribute("tabindex", "-1");
    }
  });
})();

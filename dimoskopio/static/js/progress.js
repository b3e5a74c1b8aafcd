/* Progress of background work (progressive enhancement).
 *
 * An element with data-progress-url and data-running="true" asks that URL every two seconds for
 * {"running", "issued", "total"}, moves its <progress> and fills its status text from the
 * data-running-text template (__issued__, __total__). When the work is done the page reloads, so
 * that everything on it is up to date; without JavaScript, reloading by hand does the same.
 */
(function () {
  "use strict";

  var INTERVAL = 2000;

  function watch(box) {
    var bar = box.querySelector("progress");
    var status = box.querySelector(".progress-text");
    var template = box.getAttribute("data-running-text") || "";

    function poll() {
      fetch(box.getAttribute("data-progress-url"), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) {
          if (!state) {
            window.setTimeout(poll, INTERVAL * 5);
            return;
          }
          if (!state.running) {
            window.location.reload();
            return;
          }
          bar.max = Math.max(state.total, 1);
          bar.value = state.issued;
          status.textContent = template.replace("__issued__", state.issued).replace("__total__", state.total);
          window.setTimeout(poll, INTERVAL);
        })
        .catch(function () { window.setTimeout(poll, INTERVAL * 5); });
    }

    window.setTimeout(poll, INTERVAL);
  }

  document.querySelectorAll("[data-progress-url][data-running='true']").forEach(watch);
}());

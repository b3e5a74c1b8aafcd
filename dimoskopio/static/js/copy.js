/* Copy buttons (progressive enhancement).
 *
 * A button with data-copy-target="<input id>" copies that input's value to the clipboard.
 * The buttons are rendered hidden, so that without JavaScript only the (selectable) input shows;
 * this script reveals them. The result is announced in the live region named by
 * data-copy-status, whose data-copied / data-selected attributes carry the translated messages.
 */
(function () {
  "use strict";

  function announce(status, message) {
    if (!status || !message) {
      return;
    }
    // Empty first, so that copying twice is announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function selectAndCopy(input) {
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copy(button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status") || "");
    if (!input) {
      return;
    }
    var copied = status ? status.getAttribute("data-copied") : "";
    var selected = status ? status.getAttribute("data-selected") : "";
    function fallBack() {
      announce(status, selectAndCopy(input) ? copied : selected);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        announce(status, copied);
      }, fallBack);
    } else {
      fallBack();
    }
  }

  function init() {
    var buttons = document.querySelectorAll("button[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () { copy(button); });
      button.hidden = false;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());

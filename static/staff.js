// cita staff pages: keep the agenda current without a click. Every 30 seconds the page
// is fetched again and the agenda replaced when its stamp changed, unless the person is
// in the middle of using it (focus inside the agenda). Without JavaScript the "Refresh"
// link does the same.
(function () {
  "use strict";
  var agenda = document.getElementById("agenda");
  if (!agenda || !window.fetch || !window.DOMParser) { return; }
  var every = 30000;
  function refresh() {
    if (document.hidden || agenda.contains(document.activeElement)) { return; }
    fetch(agenda.getAttribute("data-refresh"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("agenda");
        if (fresh && fresh.getAttribute("data-stamp") !== agenda.getAttribute("data-stamp")) {
          agenda.replaceWith(fresh);
          agenda = fresh;
        }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  setInterval(refresh, every);
})();

// Copy buttons (the feed link page): shown only where the clipboard can be written.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-copy]");
  if (!navigator.clipboard) { return; }
  Array.prototype.forEach.call(buttons, function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied"); }
      }, function () {
        field.select();
      });
    });
  });
})();

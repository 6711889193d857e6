// Optional enhancements; every page works without them.
// - The hold's notice counts down the minutes left (announced politely, once a minute).
// - The confirmation page offers a print button.
// - A page with problems moves the focus to their summary.
(function () {
  "use strict";
  var hold = document.getElementById("hold");
  if (hold && hold.dataset.expires) {
    var expires = Number(hold.dataset.expires) * 1000;
    var live = document.createElement("p");
    live.setAttribute("aria-live", "polite");
    // Under the hold's text, above its button.
    hold.insertBefore(live, hold.querySelector("form"));
    var lang = document.documentElement.lang;
    var tick = function () {
      var left = Math.max(0, Math.round((expires - Date.now()) / 60000));
      live.textContent = lang === "es"
        ? (left > 0 ? "Quedan unos " + left + " minutos." : "Se ha acabado el tiempo: si la hora sigue libre, puedes continuar.")
        : (left > 0 ? "About " + left + " minutes left." : "The time is up: if the slot is still free, you can go on.");
      if (left <= 1) { hold.classList.add("warning"); }
    };
    tick();
    setInterval(tick, 60000);
  }
  var print = document.querySelector(".js-print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();

// A queued optimisation: ask for its status every few seconds, say where it is, and open the
// proposal when it is ready. Without this file the page's refresh link does the same by hand.
(function () {
  "use strict";

  var EVERY = 1500;

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("optimalisatie");
    var text = document.getElementById("voortgang");
    if (!box || !text || !window.fetch) {
      return;
    }
    var url = box.getAttribute("data-status-url");

    function ask() {
      window
        .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) {
          return answer.ok ? answer.json() : null;
        })
        .then(function (job) {
          if (!job) {
            window.setTimeout(ask, EVERY * 2);
            return;
          }
          if (text.textContent !== job.text) {
            text.textContent = job.text;
          }
          box.setAttribute("data-status", job.status);
          if (job.proposal_url) {
            window.location.assign(job.proposal_url);
          } else if (job.status === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(ask, EVERY);
          }
        })
        .catch(function () {
          window.setTimeout(ask, EVERY * 2);
        });
    }

    window.setTimeout(ask, EVERY);
  });
})();

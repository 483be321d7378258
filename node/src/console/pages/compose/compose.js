// The routing plan (9.1) and the completeness hints (10.2) kept current as
// the officer fills the compose form: what the "Check" button shows, asked
// of /compose/plan a moment after each change. The form works the same
// without this script. Nothing is kept in browser storage; photographs are
// not sent until the form is.
(function () {
  "use strict";
  var form = document.getElementById("compose");
  var outcome = document.getElementById("outcome");
  if (!form || !outcome || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var pause = 400;
  var timer = null;
  var asked = 0;
  var shown = 0;

  // The form's text fields, as a plain form would post them.
  function fields() {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") {
        body.append(name, value);
      }
    });
    return body;
  }

  function refresh() {
    var number = ++asked;
    fetch("/compose/plan", {
      method: "POST",
      body: fields(),
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (reply) {
        return reply.ok ? reply.text() : null;
      })
      .then(function (html) {
        // An answer to an older question never replaces a newer one.
        if (html !== null && number > shown) {
          shown = number;
          // Rendered and escaped by the node, like every page.
          outcome.innerHTML = html;
          outcome.setAttribute("data-plan-for", String(number));
        }
      })
      .catch(function () {
        // Offline for a moment: the "Check" button still works.
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, pause);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();

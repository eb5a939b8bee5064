/*
 * A job's page (templates/jobs/progress.html): while the job is queued or running, ask its
 * status endpoint how far it has come and move the progress bar; once it has finished, reload
 * the page, which then shows its result or why it failed. Loaded from our own origin: the
 * Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  var panel = document.querySelector("[data-job-status-url]");
  if (!panel || !window.fetch) {
    return;
  }
  var url = panel.getAttribute("data-job-status-url");
  var delay = 1000;
  var longest = 10000;
  var failures = 0;

  function setText(name, value) {
    var element = panel.querySelector('[data-job-field="' + name + '"]');
    if (element) {
      element.textContent = value || "";
    }
  }

  function show(status) {
    var bar = panel.querySelector("[data-job-progress]");
    if (bar) {
      if (status.total) {
        bar.max = status.total;
        bar.value = status.done;
        bar.textContent = status.percent + "%";
      } else {
        bar.removeAttribute("value");
        bar.textContent = "";
      }
    }
    setText("state_label", status.state_label);
    setText("counts", status.counts);
    setText("step", status.step);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (status) {
        if (status.finished) {
          window.location.reload();
          return;
        }
        failures = 0;
        show(status);
        delay = Math.min(delay * 1.5, longest);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // Signed out, or the server is away: after a few tries, leave it to the reload link.
        failures += 1;
        if (failures < 5) {
          delay = Math.min(delay * 2, longest * 3);
          window.setTimeout(poll, delay);
        }
      });
  }

  window.setTimeout(poll, delay);
})();

// Reports page: rows still queued or rendering poll their JSON status URL and update the
// status badge, the failure reason, the "open PDF" link and the "rebuild" button in place.
// A message about a report's job ("已提交生成…", class report-job-<id>) goes when that job
// has ended: at once when the page shows it ended already, else when a poll says so.
(function () {
  "use strict";

  var BADGES = {
    queued: "badge-pending",
    rendering: "badge-pending",
    done: "badge-verified",
    failed: "badge-returned",
  };
  var FIRST_DELAY = 1500; // ms; then a little longer each time, up to MAX_DELAY
  var MAX_DELAY = 10000;
  var GIVE_UP_AFTER = 30 * 60 * 1000; // a reload shows the state after that

  function part(row, role) {
    return row.querySelector('[data-role="' + role + '"]');
  }

  function dropJobMessages(reportId) {
    var found = document.querySelectorAll(".message.report-job-" + reportId);
    Array.prototype.forEach.call(found, function (message) {
      var list = message.parentNode;
      list.removeChild(message);
      if (list.children.length === 0) {
        list.parentNode.removeChild(list);
      }
    });
  }

  function show(row, data) {
    row.setAttribute("data-status", data.status);
    var badge = part(row, "status");
    if (badge) {
      badge.textContent = data.status_label;
      badge.className = "badge " + (BADGES[data.status] || "");
    }
    var error = part(row, "error");
    if (error) {
      error.textContent = data.error || "";
      error.hidden = !data.error;
    }
    var download = part(row, "download");
    if (download) {
      var link = download.querySelector("a");
      if (data.download_url && link) {
        link.href = data.download_url;
      }
      download.hidden = !data.download_url;
    }
    var rebuild = part(row, "rebuild");
    if (rebuild) {
      rebuild.hidden = !data.can_rebuild;
    }
    if (data.finished) {
      dropJobMessages(data.id);
    }
  }

  function poll(row, delay, started) {
    var url = row.getAttribute("data-report-status-url");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.redirected) {
          throw new Error("403"); // the session expired: the login page answered
        }
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        show(row, data);
        if (!data.finished && Date.now() - started < GIVE_UP_AFTER) {
          schedule(row, Math.min(delay * 1.5, MAX_DELAY), started);
        }
      })
      .catch(function (error) {
        // Logged out or no longer allowed: stop. A network hiccup: try again later.
        if (error.message === "403" || error.message === "404") {
          return;
        }
        if (Date.now() - started < GIVE_UP_AFTER) {
          schedule(row, MAX_DELAY, started);
        }
      });
  }

  function schedule(row, delay, started) {
    window.setTimeout(function () {
      poll(row, delay, started);
    }, delay);
  }

  function start() {
    var rows = document.querySelectorAll("tr[data-report-status-url]");
    Array.prototype.forEach.call(rows, function (row) {
      var status = row.getAttribute("data-status");
      if (status === "queued" || status === "rendering") {
        schedule(row, FIRST_DELAY, Date.now());
      } else {
        dropJobMessages(row.getAttribute("data-report-id"));
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

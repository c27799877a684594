// Job status: poll the JSON endpoint until the job finishes, then reload to show the result.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "yes") return;
  var bar = document.getElementById("job-progress");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (bar) bar.value = job.progress;
        if (job.status === "done" || job.status === "failed") { window.location.reload(); }
        else { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();

// Quire's page script: asks before destructive actions (forms with data-confirm), ticks every
// row of a table at once (a header checkbox with data-select-all="<name>"), and follows long
// work (an element with data-poll="/jobs/N/status": its progress is refreshed every second
// and the page reloads once the job ends).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("change", (event) => {
  const all = event.target;
  const name = all.getAttribute("data-select-all");
  if (!name || !all.form) {
    return;
  }
  all.form.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach((box) => {
    box.checked = all.checked;
  });
});

function follow(element) {
  const url = element.getAttribute("data-poll");
  const tick = async () => {
    let job;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) {
        return;
      }
      job = await response.json();
    } catch {
      window.setTimeout(tick, 3000);
      return;
    }
    if (!job.running) {
      window.location.reload();
      return;
    }
    const progress = element.querySelector("progress");
    if (progress) {
      progress.value = job.progress;
    }
    const message = element.querySelector("[data-progress-message], #job-message");
    if (message) {
      message.textContent = job.progress_message;
    }
    window.setTimeout(tick, 1000);
  };
  window.setTimeout(tick, 1000);
}

document.querySelectorAll("[data-poll]").forEach(follow);

// Filling in a form: htmx saves the draft on every change; this file covers what htmx can't.
// Typing is saved after a pause, a failed save says so and is retried when the network is back,
// and closing the tab with unsaved answers sends them one last time (navigator.sendBeacon).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-draft-url]");
  if (!form) return;
  var status = document.getElementById("draft-status");
  var dirty = false, typing = null;

  function save() { if (window.htmx) htmx.trigger(form, "change"); }
  function say(text) { if (status) { status.className = "note note-error"; status.textContent = text; } }

  form.addEventListener("input", function (event) {
    dirty = true;
    if (!event.target.hasAttribute("data-autosave")) return;
    clearTimeout(typing);
    typing = setTimeout(save, 1500);
  });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  form.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) {
      dirty = false;
    } else if (!event.detail.xhr || event.detail.xhr.status === 0) {
      say("Not saved yet: no connection. Your answers stay on this page and are saved when you're back online.");
    }
  });
  window.addEventListener("online", function () { if (dirty) save(); });
  window.addEventListener("pagehide", function () {
    if (dirty && navigator.sendBeacon) navigator.sendBeacon(form.getAttribute("data-draft-url"), new FormData(form));
  });
});

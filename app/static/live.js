// While the live socket is down (no WebSocket through a proxy, a flaky network), ask for what it would have pushed.
(function () {
  var open = false;
  var root = document.documentElement;
  document.addEventListener("htmx:wsOpen", function () { open = true; });
  document.addEventListener("htmx:wsClose", function () { open = false; root.setAttribute("data-live", "down"); });
  function poll() {
    if (!window.htmx) return;
    document.querySelectorAll("[data-poll]").forEach(function (el) { htmx.trigger(el, "poll"); });
  }
  // The server's first frame comes once it listens for this page: from then on nothing is missed, and what came
  // while the socket was down (Redis restarting, a flaky network) is asked for once.
  document.addEventListener("htmx:wsAfterMessage", function () {
    if (root.getAttribute("data-live") === "down") poll();
    root.setAttribute("data-live", "ready");
  });
  setInterval(function () { if (!open) poll(); }, 20000);
  // A pushed message can reach the page that already shows it (the answer to its own post): keep one copy.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var fragment = event.detail.fragment;
    if (!fragment || !fragment.matches || !fragment.matches("[data-append-once]")) return;
    fragment.querySelectorAll("li[id^='message-']").forEach(function (item) {
      if (document.getElementById(item.id)) item.remove();
    });
    if (!fragment.querySelector("*")) event.detail.shouldSwap = false;
  });
})();
// On a narrow phone the portal's sections scroll sideways in their own row: keep the current one in sight.
(function () {
  var current = document.querySelector(".sections [aria-current='page']");
  if (current) current.scrollIntoView({block: "nearest", inline: "nearest"});
})();

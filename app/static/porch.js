// "Copy portal link": the only thing on Porch's staff pages that htmx can't do. Without it, the field is selectable.
document.addEventListener("DOMContentLoaded", function () {
  document.body.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var id = button.getAttribute("data-copy");
    var field = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    navigator.clipboard.writeText(field.value).then(function () {
      if (status) status.textContent = "Copied.";
    }, function () {
      field.select();
      if (status) status.textContent = "Press Ctrl+C (or long-press) to copy.";
    });
  });
  function reveal() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("[data-copy][hidden]").forEach(function (b) { b.hidden = false; });
  }
  reveal();
  document.body.addEventListener("htmx:afterSettle", reveal);
});

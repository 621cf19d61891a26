// Verification queue: a header checkbox ticks or clears every row checkbox of its table.
document.addEventListener("change", function (event) {
  var box = event.target;
  var name = box.getAttribute && box.getAttribute("data-check-all");
  if (!name) return;
  var table = box.closest("table");
  table.querySelectorAll('tbody input[type="checkbox"][name="' + name + '"]').forEach(function (row) {
    row.checked = box.checked;
  });
});

// snapset report: the matrix is plain HTML; this only narrows the rows
// (filter box, "only differences") and marks the cells of a commit.
(function () {
  "use strict";
  var table = document.getElementById("matrix");
  var filter = document.getElementById("filter");
  var only = document.getElementById("only-diff");
  var shown = document.getElementById("shown");
  var none = document.getElementById("none");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var keys = rows.map(function (r) {
    return (r.getAttribute("data-service") + " " + r.getAttribute("data-track")).toLowerCase();
  });
  var differs = rows.map(function (r) { return r.hasAttribute("data-differs"); });

  function apply() {
    var terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var diffOnly = only.checked;
    var count = 0;
    for (var i = 0; i < rows.length; i++) {
      var visible = !diffOnly || differs[i];
      for (var t = 0; visible && t < terms.length; t++) {
        visible = keys[i].indexOf(terms[t]) >= 0;
      }
      if (rows[i].hidden === visible) rows[i].hidden = !visible;
      if (visible) count++;
    }
    shown.textContent = count + " of " + rows.length + " rows";
    none.hidden = count > 0;
  }

  filter.addEventListener("input", apply);
  only.addEventListener("change", apply);
  document.getElementById("controls").hidden = false;
  apply();

  // Hovering a cell outlines every cell that pins the same commit.
  var lit = [];
  table.addEventListener("mouseover", function (event) {
    var cell = event.target.closest ? event.target.closest("td[data-commit]") : null;
    var commit = cell ? cell.getAttribute("data-commit") : null;
    if (lit.length && lit[0].getAttribute("data-commit") === commit) return;
    lit.forEach(function (c) { c.classList.remove("hl"); });
    lit = [];
    if (!commit) return;
    var row = cell.parentNode;
    lit = Array.prototype.slice.call(row.querySelectorAll('td[data-commit="' + commit + '"]'));
    if (lit.length < 2) { lit = []; return; }
    lit.forEach(function (c) { c.classList.add("hl"); });
  });
})();

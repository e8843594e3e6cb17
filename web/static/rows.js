/* Repeatable rows (household members, incomes...): add and remove row blocks.
   The page works without this script: the initial rows are plain inputs, and a row left
   blank is dropped on the server. */
(function () {
  "use strict";
  function renumber(section) {
    section.querySelectorAll(".row-list > [data-row]").forEach(function (row, i) {
      var no = row.querySelector(".row-no");
      if (no) { no.textContent = no.dataset.tpl ? no.dataset.tpl.replace("N", i + 1) : "#" + (i + 1); }
    });
  }
  function nextIndex(section, name) {
    var max = -1, re = new RegExp("^" + name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "-(\\d+)-");
    section.querySelectorAll("[name]").forEach(function (el) {
      var m = re.exec(el.name);
      if (m) { max = Math.max(max, parseInt(m[1], 10)); }
    });
    return max + 1;
  }
  document.querySelectorAll("[data-rows]").forEach(function (section) {
    var name = section.dataset.rows;
    var list = section.querySelector(".row-list");
    var tpl = section.querySelector("template[data-row-template]");
    var add = section.querySelector("[data-add-row]");
    var first = list.querySelector(".row-no");
    var pattern = first ? first.textContent.replace(/\d+/, "N") : "";
    section.querySelectorAll(".row-no").forEach(function (n) { n.dataset.tpl = pattern; });
    function wire(row) {
      var remove = row.querySelector("[data-remove-row]");
      if (!remove) { return; }
      remove.hidden = false;
      remove.addEventListener("click", function () {
        row.remove();
        renumber(section);
      });
    }
    list.querySelectorAll("[data-row]").forEach(wire);
    if (add && tpl) {
      add.hidden = false;
      add.addEventListener("click", function () {
        var max = parseInt(section.dataset.max || "0", 10);
        if (max && list.querySelectorAll("[data-row]").length >= max) { return; }
        var html = tpl.innerHTML.split("__index__").join(String(nextIndex(section, name)));
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var row = holder.querySelector("[data-row]");
        row.querySelectorAll(".row-no").forEach(function (n) { n.dataset.tpl = pattern; });
        list.appendChild(row);
        wire(row);
        renumber(section);
        var input = row.querySelector("input, select, textarea");
        if (input) { input.focus(); }
      });
    }
  });
})();

/* Fields required only for some choices (a form's `required_when`, e.g. 月补差金额 when 批准
   is chosen): their * shows while such a value is chosen and hides otherwise. Without this
   script the * always shows (with a title saying it depends on the choice); the server
   checks the rule either way. */
(function () {
  "use strict";
  function chosen(form, name) {
    var values = [];
    form.querySelectorAll("[name]").forEach(function (el) {
      if (el.name !== name) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      if (el.value !== "") { values.push(el.value); }
    });
    return values;
  }
  function prefixOf(mark) {
    var field = mark.dataset.field, box = mark.closest(".field") || mark.parentNode;
    var input = box.querySelector("[name$='" + field + "']");
    return input ? input.name.slice(0, input.name.length - field.length) : "";
  }
  function update(mark) {
    var form = mark.closest("form") || document, when, prefix = prefixOf(mark);
    try { when = JSON.parse(mark.dataset.when); } catch (e) { return; }
    var holds = Object.keys(when).some(function (sibling) {
      var wanted = when[sibling].map(String);
      return chosen(form, prefix + sibling).some(function (v) { return wanted.indexOf(v) >= 0; });
    });
    mark.hidden = !holds;
  }
  function updateAll() { document.querySelectorAll(".req-when[data-when]").forEach(update); }
  document.addEventListener("change", updateAll);
  document.addEventListener("input", function (e) { if (e.target.tagName === "SELECT") { updateAll(); } });
  updateAll();
})();

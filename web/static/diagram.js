/* The case's BPMN diagram (bpmn-js viewer, served locally) with done and current steps marked. */
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: box });
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      function mark(ids, marker) {
        (ids || "").split(" ").forEach(function (id) {
          if (id && registry.get(id)) { canvas.addMarker(id, marker); }
        });
      }
      mark(box.dataset.done, "step-done");
      mark(box.dataset.current, "step-current");
      canvas.zoom("fit-viewport");
      box.classList.add("ready");
    })
    .catch(function () { box.classList.add("failed"); box.textContent = box.dataset.error || "流程图加载失败"; });
})();

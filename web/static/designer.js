/* The designer's workspace: bpmn-js and dmn-js modelers (served locally) over a version's
   files, validation and deploy through the server, problems marked on the canvas. */
(function () {
  "use strict";
  var root = document.getElementById("designer");
  if (!root || !window.BpmnJS) { return; }
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var tabs = document.getElementById("designer-tabs");
  var panesBox = document.getElementById("designer-panes");
  var viewsBox = document.getElementById("designer-dmn-views");
  var statusBox = document.getElementById("designer-status");
  var problemsBox = document.getElementById("designer-problems");
  var panes = {};   // "bpmn:name" → {kind, name, el, xml, modeler, loading}
  var active = null;
  var marked = [];  // [pane, element id]

  function msg(name, values) {
    var text = root.dataset["msg" + name] || "";
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }

  function status(text, kind) {
    statusBox.textContent = text || "";
    statusBox.className = "designer-status" + (kind ? " " + kind : "");
  }

  function register(el) {
    var id = el.dataset.pane;
    panes[id] = { id: id, kind: el.dataset.kind, name: el.dataset.name, el: el, xml: null,
                  modeler: null, loading: null };
    return panes[id];
  }

  function fetchXml(pane) {
    if (pane.xml !== null || !pane.el.dataset.src) { return Promise.resolve(pane.xml); }
    return fetch(pane.el.dataset.src, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (xml) { pane.xml = xml; return xml; });
  }

  function createModeler(pane) {
    if (pane.kind === "bpmn") {
      return new window.BpmnJS({ container: pane.el });
    }
    var dmn = new window.DmnJS({ container: pane.el });
    dmn.on("views.changed", function () { if (active === pane) { dmnViews(pane); } });
    return dmn;
  }

  var MARGIN = 24;  // px kept free between the palette and the diagram

  /* Width (px from the pane's left edge) the palette covers: the diagram starts right of it. */
  function paletteRoom(pane) {
    var palette = pane.el.querySelector(".djs-palette");
    if (!palette) { return MARGIN; }
    var p = palette.getBoundingClientRect();
    return Math.max(0, p.right - pane.el.getBoundingClientRect().left) + MARGIN;
  }

  /* The whole diagram in view, right of the palette (bpmn-js's own fit puts the start event
     under it): zoom to what is left beside the palette and centre the diagram in it. */
  function fitBesidePalette(pane) {
    var canvas = pane.modeler.get("canvas");
    var inner = canvas.viewbox().inner;
    var width = pane.el.clientWidth, height = pane.el.clientHeight;
    if (!inner || !inner.width || !inner.height || !width || !height) { return; }
    var room = paletteRoom(pane);
    var usable = Math.max(width - room - MARGIN, width / 3);
    var scale = Math.min(1, usable / inner.width, (height - 2 * MARGIN) / inner.height);
    canvas.viewbox({
      x: inner.x - (room + (usable - inner.width * scale) / 2) / scale,
      y: inner.y - (height - inner.height * scale) / 2 / scale,
      width: width / scale,
      height: height / scale
    });
  }

  function fit(pane, zoom) {
    if (pane.kind !== "bpmn" || !pane.modeler) { return; }
    var canvas = pane.modeler.get("canvas");
    canvas.resized();
    if (zoom) { fitBesidePalette(pane); }
  }

  /* Scroll a flagged element into view, clear of the palette, keeping the zoom. */
  function reveal(pane, el) {
    var canvas = pane.modeler.get("canvas");
    pane.modeler.get("selection").select(el);
    canvas.scrollToElement(el, { top: 3 * MARGIN, bottom: 3 * MARGIN,
                                 left: paletteRoom(pane) + MARGIN, right: 3 * MARGIN });
  }

  var dirty = false;  // edits not yet deployed: ask before leaving the page

  function watch(modeler, kind) {
    function changed() { dirty = true; }
    if (kind === "bpmn") { modeler.on("commandStack.changed", changed); return; }
    modeler.on("views.changed", function () {  // each DMN view has its own command stack
      var viewer = modeler.getActiveViewer();
      if (viewer && !viewer.yimenWatched) {
        viewer.yimenWatched = true;
        try { viewer.get("eventBus").on("commandStack.changed", changed); } catch (e) { /* read-only view */ }
      }
    });
  }

  function load(pane) {
    if (pane.loading) { return pane.loading; }
    pane.loading = fetchXml(pane).then(function (xml) {
      pane.modeler = createModeler(pane);
      watch(pane.modeler, pane.kind);
      return pane.modeler.importXML(xml);
    }).then(function () {
      fit(pane, true);
      return pane;
    }).catch(function (err) {
      pane.loading = null;
      pane.el.textContent = msg("LoadFailed") + "：" + (err && err.message ? err.message : err);
      throw err;
    });
    return pane.loading;
  }

  function dmnViews(pane) {
    viewsBox.textContent = "";
    if (!pane || pane.kind !== "dmn" || !pane.modeler) { viewsBox.hidden = true; return; }
    var current = pane.modeler.getActiveView();
    pane.modeler.getViews().forEach(function (view) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "designer-view" + (current && current.element === view.element ? " active" : "");
      b.textContent = (view.element.name || view.element.id) +
        (view.type === "drd" ? " · DRD" : "");
      b.dataset.view = view.element.id;
      b.addEventListener("click", function () {
        pane.modeler.open(view).then(function () { dmnViews(pane); });
      });
      viewsBox.appendChild(b);
    });
    viewsBox.hidden = false;
  }

  function show(id) {
    var pane = panes[id];
    if (!pane) { return Promise.resolve(null); }
    Object.keys(panes).forEach(function (k) { panes[k].el.hidden = k !== id; });
    Array.prototype.forEach.call(tabs.querySelectorAll(".designer-tab"), function (t) {
      var on = t.dataset.tab === id;
      t.classList.toggle("active", on);
      t.setAttribute("aria-selected", on ? "true" : "false");
    });
    active = pane;
    return load(pane).then(function () {
      fit(pane);
      dmnViews(pane);
      return pane;
    }, function () { dmnViews(null); return pane; });
  }

  function addTab(kind, name) {
    var id = kind + ":" + name;
    var b = document.createElement("button");
    b.type = "button";
    b.setAttribute("role", "tab");
    b.className = "designer-tab";
    b.dataset.tab = id;
    b.textContent = name;
    var el = document.createElement("div");
    el.className = "designer-pane";
    el.dataset.pane = id;
    el.dataset.kind = kind;
    el.dataset.name = name;
    el.hidden = true;
    var dmnTab = tabs.querySelector('[data-tab^="dmn:"]');
    tabs.insertBefore(b, kind === "bpmn" ? dmnTab : null);
    panesBox.appendChild(el);
    return register(el);
  }

  function currentXml(pane) {
    if (pane.modeler) {
      return pane.modeler.saveXML({ format: true }).then(function (r) { return r.xml; });
    }
    return fetchXml(pane);
  }

  function collect() {
    var ids = Object.keys(panes);
    return Promise.all(ids.map(function (k) { return currentXml(panes[k]); })).then(function (xmls) {
      var body = { key: root.dataset.key, region: root.dataset.region, bpmn: {}, dmn: {} };
      ids.forEach(function (k, i) { body[panes[k].kind][panes[k].name] = xmls[i]; });
      return body;
    });
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.status >= 400 && !data.problems) { throw new Error(msg("Failed", { status: r.status })); }
        data.status = r.status;
        return data;
      });
    });
  }

  /* "identification.bpmn 中的 district_crosscheck（区级信息比对）：…" → file and element id */
  var NAMED = /(?:([^\s：（]+\.(?:bpmn|dmn)) )?中的 ([^（：\s]+)/;

  function target(problem) {
    var m = NAMED.exec(problem);
    if (!m) { return null; }
    return { file: m[1] || null, id: m[2] };
  }

  function paneFor(t) {
    var exact = t.file && (panes["bpmn:" + t.file] || panes["dmn:" + t.file]);
    if (exact) { return exact; }
    var names = Object.keys(panes);
    for (var i = 0; i < names.length; i++) {
      var p = panes[names[i]];
      if (p.kind === "bpmn" && p.modeler && p.modeler.get("elementRegistry").get(t.id)) { return p; }
    }
    return null;
  }

  function clearMarks() {
    marked.forEach(function (m) {
      try {
        m[0].modeler.get("canvas").removeMarker(m[1], "designer-problem");
        m[0].modeler.get("overlays").remove({ type: "designer-problem" });
      } catch (e) { /* the element was deleted meanwhile */ }
    });
    marked = [];
  }

  function mark(pane, id, text) {
    if (!pane || pane.kind !== "bpmn" || !pane.modeler) { return false; }
    var registry = pane.modeler.get("elementRegistry");
    if (!registry.get(id)) { return false; }
    pane.modeler.get("canvas").addMarker(id, "designer-problem");
    var badge = document.createElement("div");
    badge.className = "designer-badge";
    badge.textContent = "!";
    badge.title = text;
    pane.modeler.get("overlays").add(id, "designer-problem", { position: { top: -10, right: 10 }, html: badge });
    marked.push([pane, id]);
    return true;
  }

  function focus(t) {
    var pane = paneFor(t);
    if (!pane) { return; }
    show(pane.id).then(function () {
      if (pane.kind === "bpmn") {
        var el = pane.modeler.get("elementRegistry").get(t.id);
        if (el) { reveal(pane, el); }
      } else {
        var view = pane.modeler.getViews().filter(function (v) { return v.element.id === t.id; })[0];
        if (view) { pane.modeler.open(view).then(function () { dmnViews(pane); }); }
      }
    });
  }

  function showProblems(problems) {
    clearMarks();
    var list = problemsBox.querySelector("ul");
    list.textContent = "";
    problemsBox.querySelector("h2").textContent = msg("Problems", { n: problems.length });
    problems.forEach(function (p) {
      var li = document.createElement("li");
      var t = target(p);
      if (t) {
        var pane = paneFor(t);
        var onCanvas = pane && mark(pane, t.id, p);
        var a = document.createElement("button");
        a.type = "button";
        a.className = "link";
        a.textContent = p;
        a.dataset.element = t.id;
        a.addEventListener("click", function () { focus(t); });
        li.appendChild(a);
        if (onCanvas) { li.classList.add("on-canvas"); }
      } else {
        li.textContent = p;
      }
      list.appendChild(li);
    });
    problemsBox.hidden = problems.length === 0;
    var first = problems.map(target).filter(function (t) { return t && paneFor(t); })[0];
    if (first) { focus(first); }  // the first flagged element, in view beside the palette
  }

  function loadAll() {
    // Elements named by problems can only be marked in imported diagrams.
    return Promise.all(Object.keys(panes).map(function (k) {
      return panes[k].kind === "bpmn" ? load(panes[k]).catch(function () { return null; }) : null;
    }));
  }

  function busy(on) {
    ["designer-validate", "designer-deploy"].forEach(function (id) {
      document.getElementById(id).disabled = on;
    });
    if (on) { status(msg("Working")); }
  }

  function run(url) {
    busy(true);
    return loadAll().then(collect).then(function (body) { return post(url, body); })
      .then(function (data) {
        showProblems(data.problems || []);
        if (data.versions && !data.versions.length) {
          dirty = false;
          status(msg("Unchanged"), "ok");
        } else if (data.versions) {
          dirty = false;
          var v = data.versions.filter(function (x) { return x.key === root.dataset.key; })[0] || data.versions[0];
          status(msg("Deployed", { v: v.version }) + " ", "ok");
          var open = document.createElement("a");
          open.href = v.url;
          open.textContent = msg("Reopen");
          statusBox.appendChild(open);
        } else if (data.problems && data.problems.length) {
          status(msg("Problems", { n: data.problems.length }), "bad");
        } else {
          status(msg("Ok"), "ok");
        }
        return data;
      })
      .catch(function (err) { status(err.message, "bad"); })
      .then(function (data) { busy(false); return data; });
  }

  document.getElementById("designer-validate").addEventListener("click", function () {
    run(root.dataset.validate);
  });
  document.getElementById("designer-deploy").addEventListener("click", function () {
    if (window.confirm(msg("Confirm"))) { run(root.dataset.deploy); }
  });

  document.getElementById("designer-save").addEventListener("click", function () {
    if (!active) { return; }
    currentXml(active).then(function (xml) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
      a.download = active.name;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    });
  });

  document.getElementById("designer-open").addEventListener("change", function (ev) {
    var files = Array.prototype.slice.call(ev.target.files || []);
    var last = null;
    Promise.all(files.map(function (file) {
      var kind = /\.dmn$/i.test(file.name) ? "dmn" : /\.bpmn$/i.test(file.name) ? "bpmn" : null;
      if (!kind) { return null; }
      return file.text().then(function (xml) {
        var pane = panes[kind + ":" + file.name] || addTab(kind, file.name);
        pane.xml = xml;
        last = pane;
        dirty = true;
        if (pane.modeler) {
          return pane.modeler.importXML(xml).then(function () { fit(pane, true); });
        }
        return null;
      });
    })).then(function () {
      ev.target.value = "";
      if (last) { show(last.id); }
    });
  });

  tabs.addEventListener("click", function (ev) {
    var t = ev.target.closest(".designer-tab");
    if (t) { show(t.dataset.tab); }
  });
  window.addEventListener("beforeunload", function (ev) {
    if (dirty) { ev.preventDefault(); ev.returnValue = ""; }
  });
  window.addEventListener("resize", function () { if (active) { fit(active); } });

  Array.prototype.forEach.call(panesBox.querySelectorAll(".designer-pane"), register);
  var first = Object.keys(panes)[0];
  if (first) { show(first); }
  window.yimenDesigner = { panes: panes, target: target, showProblems: showProblems };
})();

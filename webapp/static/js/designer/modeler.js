/* The BPMN modeler page: bpmn-js with the spiffworkflow extensions, an inspector for what the
   generic panel lacks (lane → role, user task → form, conditions, scripts, timers, decisions),
   problems marked on the canvas, validate and deploy. Edits go through bpmn-js `modeling`, so
   they are undoable and exported with the diagram. */
(function () {
  "use strict";
  var D = window.Designer;
  var cfg = D.config();
  var S = cfg.strings;
  var P = cfg.palette;
  var el = D.el;

  var modeler = new BpmnJS({
    container: "#canvas",
    additionalModules: window.DesignerI18n.modules,
    moddleExtensions: { spiffworkflow: window.SpiffworkflowModdle }
  });
  window.designerModeler = modeler; // for the browser tests and the console
  window.DesignerI18n.watch(document.getElementById("canvas")); // what bpmn-js does not translate itself
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var registry = modeler.get("elementRegistry");
  var canvas = modeler.get("canvas");
  var overlays = modeler.get("overlays");
  var inspector = document.getElementById("inspector");
  var problemsById = {};

  fetch(cfg.fileUrl, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function () {
      // The whole process on open, so nothing lies out of view; zoom in (wheel, +) to read labels.
      canvas.zoom("fit-viewport", "auto");
      render(null);
      document.getElementById("canvas").setAttribute("data-ready", "1");
    })
    .catch(function (err) { D.status(document.getElementById("editor-status"), S.loadFailed + " " + err, "error"); });

  modeler.on("selection.changed", function (e) { render(e.newSelection.length === 1 ? e.newSelection[0] : null); });
  modeler.on("element.changed", function (e) {
    var selected = modeler.get("selection").get();
    if (selected.length === 1 && selected[0] === e.element && !inspector.contains(document.activeElement)) render(e.element);
  });

  // -- validate / deploy -------------------------------------------------------------------------
  D.wireActions(cfg, function () {
    return modeler.saveXML({ format: true }).then(function (r) { return [{ name: cfg.fileName, text: r.xml }]; });
  }, { mark: mark, pick: function (p) { pick(p.element_id); } });

  document.getElementById("btn-download").addEventListener("click", function () {
    modeler.saveXML({ format: true }).then(function (r) { D.download(cfg.fileName, r.xml); });
  });
  document.getElementById("btn-fit").addEventListener("click", function () { canvas.zoom("fit-viewport", "auto"); });

  function mark(problems) {
    Object.keys(problemsById).forEach(function (id) { if (registry.get(id)) canvas.removeMarker(id, "has-problem"); });
    overlays.remove({ type: "problem" });
    problemsById = {};
    problems.forEach(function (p) {
      if (!p.element_id || !registry.get(p.element_id)) return;
      (problemsById[p.element_id] = problemsById[p.element_id] || []).push(p.message);
    });
    Object.keys(problemsById).forEach(function (id) {
      canvas.addMarker(id, "has-problem");
      var badge = el("div", { className: "problem-badge", title: problemsById[id].join("\n"),
                              text: String(problemsById[id].length) });
      overlays.add(id, "problem", { position: { top: -10, right: 10 }, html: badge });
    });
    var selected = modeler.get("selection").get();
    render(selected.length === 1 ? selected[0] : null);
    var first = Object.keys(problemsById)[0];
    if (first) canvas.scrollToElement(registry.get(first));
  }

  function pick(id) {
    var element = registry.get(id);
    if (!element) return;
    canvas.scrollToElement(element);
    modeler.get("selection").select(element);
  }

  // -- reading and writing the spiffworkflow extensions -------------------------------------------
  function extensions(bo) { return bo.extensionElements ? bo.extensionElements.get("values") : []; }
  function spiffChild(bo, type) {
    return extensions(bo).filter(function (v) { return v.$type === type; })[0];
  }
  function getProperty(bo, name) {
    var group = spiffChild(bo, "spiffworkflow:Properties");
    var found = group ? group.get("properties").filter(function (p) { return p.name === name; })[0] : null;
    return found ? found.value || "" : "";
  }
  function ensureExtensions(element) {
    var bo = element.businessObject;
    if (!bo.extensionElements) {
      modeling.updateProperties(element, { extensionElements: moddle.create("bpmn:ExtensionElements", { values: [] }) });
    }
    return bo.extensionElements;
  }
  function setProperty(element, name, value) {
    var bo = element.businessObject;
    var group = spiffChild(bo, "spiffworkflow:Properties");
    var current = group ? group.get("properties").filter(function (p) { return p.name === name; })[0] : null;
    if (!value) {
      if (current) modeling.updateModdleProperties(element, group, {
        properties: group.get("properties").filter(function (p) { return p !== current; }) });
      return;
    }
    if (current) { modeling.updateModdleProperties(element, current, { value: value }); return; }
    var ext = ensureExtensions(element);
    if (!group) {
      group = moddle.create("spiffworkflow:Properties", { properties: [] });
      modeling.updateModdleProperties(element, ext, { values: ext.get("values").concat([group]) });
    }
    var property = moddle.create("spiffworkflow:Property", { name: name, value: value });
    modeling.updateModdleProperties(element, group, { properties: group.get("properties").concat([property]) });
  }
  function getBody(bo, type) { var child = spiffChild(bo, type); return child ? child.value || "" : ""; }
  function setBody(element, type, value) {
    var bo = element.businessObject;
    var child = spiffChild(bo, type);
    if (child && value) { modeling.updateModdleProperties(element, child, { value: value }); return; }
    if (child) {
      modeling.updateModdleProperties(element, bo.extensionElements, {
        values: extensions(bo).filter(function (v) { return v !== child; }) });
      return;
    }
    if (!value) return;
    var ext = ensureExtensions(element);
    modeling.updateModdleProperties(element, ext, { values: ext.get("values").concat([moddle.create(type, { value: value })]) });
  }
  function laneOf(bo) {
    var lanes = registry.filter(function (e) { return e.type === "bpmn:Lane"; });
    for (var i = lanes.length - 1; i >= 0; i--) {
      if ((lanes[i].businessObject.flowNodeRef || []).indexOf(bo) >= 0) return lanes[i].businessObject.name || "";
    }
    return null;
  }
  function roleOfLane(name) {
    return P.lanes.filter(function (l) { return l.name === name; })[0] || null;
  }
  function timerOf(bo) {
    return (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
  }

  // -- the inspector -----------------------------------------------------------------------------
  function render(element) {
    inspector.textContent = "";
    if (!element || element.type === "bpmn:Process" || element.type === "bpmn:Collaboration" || element.type === "label") {
      inspector.appendChild(el("h2", { text: S.inspector }));
      inspector.appendChild(el("p", { className: "muted small", text: S.selectHint }));
      return;
    }
    var bo = element.businessObject;
    var type = element.type.replace("bpmn:", "");
    inspector.appendChild(el("h2", { text: S.types[type] || type }));
    inspector.appendChild(el("div", { className: "mono muted small", text: bo.id, "data-testid": "inspector-id" }));
    (problemsById[bo.id] || []).forEach(function (message) {
      inspector.appendChild(el("div", { className: "inspector-problem", text: message }));
    });

    if (element.type === "bpmn:Lane") { laneFields(element); return; }
    if (element.type !== "bpmn:Participant") {
      inspector.appendChild(textField(S.name, bo.name || "", function (v) { modeling.updateLabel(element, v); }, "name"));
    }
    if (/Task$/.test(element.type) || element.type === "bpmn:CallActivity") {
      var lane = laneOf(bo);
      var role = lane === null ? null : roleOfLane(lane);
      inspector.appendChild(el("div", { className: "inspector-lane small" + (role ? "" : " warn"),
        text: S.lane + "：" + (lane === null ? S.noLane : lane + (role ? " → " + role.label : " → " + S.noRole)) }));
    }
    if (element.type === "bpmn:UserTask" || element.type === "bpmn:ManualTask") humanTaskFields(element);
    if (element.type === "bpmn:ServiceTask") serviceTaskFields(element);
    if (/Event$/.test(element.type) && (bo.eventDefinitions || []).some(function (d) {
      return d.$type === "bpmn:MessageEventDefinition"; })) inspector.appendChild(formSelect(element, S.messageForm));
    if (element.type === "bpmn:ScriptTask") {
      inspector.appendChild(areaField(S.script, bo.script || "", function (v) {
        modeling.updateProperties(element, { script: v || undefined }); }, "script", true));
    }
    if (element.type === "bpmn:BusinessRuleTask") decisionField(element);
    if (element.type === "bpmn:SequenceFlow") flowFields(element);
    if (timerOf(bo)) timerFields(element, timerOf(bo));
    if (/Task$/.test(element.type) || /Event$/.test(element.type)) {
      var scripts = el("details", { className: "inspector-more" }, [el("summary", { text: S.prePostScripts })]);
      scripts.appendChild(areaField(S.preScript, getBody(bo, "spiffworkflow:PreScript"), function (v) {
        setBody(element, "spiffworkflow:PreScript", v); }, "prescript", true));
      scripts.appendChild(areaField(S.postScript, getBody(bo, "spiffworkflow:PostScript"), function (v) {
        setBody(element, "spiffworkflow:PostScript", v); }, "postscript", true));
      if (getBody(bo, "spiffworkflow:PreScript") || getBody(bo, "spiffworkflow:PostScript")) scripts.open = true;
      inspector.appendChild(scripts);
    }
  }

  function laneFields(element) {
    var name = element.businessObject.name || "";
    var options = P.lanes.map(function (l) { return [l.name, l.name + " — " + l.label]; });
    if (name && !roleOfLane(name)) options.unshift([name, name + " — " + S.noRole]);
    inspector.appendChild(selectField(S.laneRole, name, options, function (v) {
      modeling.updateLabel(element, v); }, "lane-role"));
    inspector.appendChild(el("p", { className: "muted small", text: S.laneHint }));
  }

  function formSelect(element, label) {
    var formKey = getProperty(element.businessObject, "formKey");
    var options = [["", S.noForm]].concat(P.forms.map(function (f) { return [f.key, f.title + " (" + f.key + ")"]; }));
    if (formKey && !P.forms.some(function (f) { return f.key === formKey; })) options.push([formKey, formKey + " — " + S.unknownForm]);
    return selectField(label, formKey, options, function (v) { setProperty(element, "formKey", v); }, "form");
  }

  // A service task waits for an external worker of its topic (the platform calls no service).
  function serviceTaskFields(element) {
    var bo = element.businessObject;
    inspector.appendChild(textField(S.topic, getProperty(bo, "topic"), function (v) { setProperty(element, "topic", v); },
      "topic"));
    inspector.appendChild(textField(S.variables, getProperty(bo, "variables"), function (v) {
      setProperty(element, "variables", v); }, "variables"));
    inspector.appendChild(formSelect(element, S.resultForm));
    inspector.appendChild(textField(S.status, getProperty(bo, "status"), function (v) { setProperty(element, "status", v); },
      "status"));
  }

  function humanTaskFields(element) {
    var bo = element.businessObject;
    inspector.appendChild(formSelect(element, S.form));
    var stage = getProperty(bo, "stage");
    var stages = [["", S.noStage]].concat(P.stages);
    if (stage && !P.stages.some(function (st) { return st[0] === stage; })) stages.push([stage, stage]);
    inspector.appendChild(selectField(S.stage, stage, stages, function (v) { setProperty(element, "stage", v); }, "stage"));
    inspector.appendChild(textField(S.status, getProperty(bo, "status"), function (v) { setProperty(element, "status", v); }, "status"));
    inspector.appendChild(textField(S.dueIn, getProperty(bo, "dueIn"), function (v) { setProperty(element, "dueIn", v); },
      "due", S.dueHint));
    // No property means normal: the select offers "normal" once, as the empty choice.
    var priorities = [["", S.priorityNormal]].concat(P.priorities.filter(function (p) { return p !== "normal"; })
      .map(function (p) { return [p, S.priorities[p] || p]; }));
    inspector.appendChild(selectField(S.priority, getProperty(bo, "priority"), priorities, function (v) {
      setProperty(element, "priority", v); }, "priority"));
  }

  function decisionField(element) {
    var current = getBody(element.businessObject, "spiffworkflow:CalledDecisionId");
    var options = [["", S.noDecision]].concat(P.decisions.map(function (d) { return [d.id, d.name + " (" + d.id + ")"]; }));
    if (current && !P.decisions.some(function (d) { return d.id === current; })) options.push([current, current + " — " + S.unknownDecision]);
    inspector.appendChild(selectField(S.decision, current, options, function (v) {
      setBody(element, "spiffworkflow:CalledDecisionId", v); }, "decision"));
  }

  function flowFields(element) {
    var bo = element.businessObject;
    var source = bo.sourceRef;
    var isGatewayFlow = /Gateway$/.test(source.$type) && source.$type !== "bpmn:ParallelGateway";
    if (!isGatewayFlow && !bo.conditionExpression) return;
    var condition = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
    inspector.appendChild(areaField(S.condition, condition, function (v) {
      modeling.updateProperties(element, {
        conditionExpression: v ? moddle.create("bpmn:FormalExpression", { body: v }) : undefined });
    }, "condition", true, S.conditionHint));
    if (isGatewayFlow) {
      var box = el("input", { type: "checkbox", "data-testid": "inspector-default" });
      box.checked = source.default === bo;
      box.addEventListener("change", function () {
        modeling.updateProperties(registry.get(source.id), { "default": box.checked ? bo : undefined });
      });
      inspector.appendChild(el("label", { className: "check-inline" }, [box, document.createTextNode(S.defaultFlow)]));
    }
  }

  function timerFields(element, definition) {
    var kinds = [["timeDuration", S.timeDuration], ["timeDate", S.timeDate], ["timeCycle", S.timeCycle]];
    var kind = kinds.map(function (k) { return k[0]; }).filter(function (k) { return definition[k]; })[0] || "timeDuration";
    var expression = definition[kind] ? definition[kind].body || "" : "";
    function save(newKind, text) {
      var props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      props[newKind] = moddle.create("bpmn:FormalExpression", { body: text });
      modeling.updateModdleProperties(element, definition, props);
    }
    var kindSelect = selectField(S.timerKind, kind, kinds, function (v) { kind = v; save(kind, expression); }, "timer-kind");
    inspector.appendChild(kindSelect);
    inspector.appendChild(textField(S.timerExpression, expression, function (v) { expression = v; save(kind, v); },
      "timer", S.timerHint));
  }

  // -- form controls: every change is applied on change/blur, one command per edit ---------------
  function field(label, control, testid, hint) {
    var id = "insp-" + testid;
    control.id = id;
    control.setAttribute("data-testid", "inspector-" + testid);
    var children = [el("label", { "for": id, text: label }), control];
    if (hint) children.push(el("span", { className: "help", text: hint }));
    return el("div", { className: "field" }, children);
  }
  function textField(label, value, onChange, testid, hint) {
    var input = el("input", { type: "text" });
    input.value = value;
    input.addEventListener("change", function () { onChange(input.value.trim()); });
    return field(label, input, testid, hint);
  }
  function areaField(label, value, onChange, testid, code, hint) {
    var area = el("textarea", { className: code ? "code" : "", spellcheck: "false", rows: "4" });
    area.value = value;
    area.addEventListener("change", function () { onChange(area.value.replace(/\s+$/, "")); });
    return field(label, area, testid, hint);
  }
  function selectField(label, value, options, onChange, testid) {
    var select = el("select");
    options.forEach(function (o) {
      var option = el("option", { value: o[0], text: o[1] });
      if (o[0] === value) option.selected = true;
      select.appendChild(option);
    });
    select.addEventListener("change", function () { onChange(select.value); });
    return field(label, select, testid);
  }
})();

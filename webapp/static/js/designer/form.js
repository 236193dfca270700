/* The form editor page: form-js editor with a live preview (form-js viewer) beside it. A form
   the editor cannot open (a component type only our server knows, such as the patrol
   checklist) is edited as JSON, with the same validate and deploy; the preview shows such
   components as a note. */
(function () {
  "use strict";
  var D = window.Designer;
  var cfg = D.config();
  var S = cfg.strings;
  var OUR_TYPES = { patrolChecklist: S.checklistPlaceholder };
  var source = document.getElementById("form-json");
  var editorNode = document.getElementById("form-editor");
  var preview = new FormViewer.Form({ container: document.getElementById("form-preview") });
  // form-js has no translation hook: its own texts are translated in the page (in Chinese only).
  window.DesignerI18n.watch(editorNode);
  window.DesignerI18n.watch(document.getElementById("form-preview"));
  var editor = null;

  function currentSchema() {
    return editor ? editor.saveSchema() : JSON.parse(source.value);
  }

  /* form-js renders only its own component types: ours become a text note in the preview. */
  function forPreview(schema) {
    var copy = JSON.parse(JSON.stringify(schema));
    copy.components = (copy.components || []).map(function (c) {
      return OUR_TYPES[c.type] ? { type: "text", id: c.id, text: "*" + OUR_TYPES[c.type] + "*" } : c;
    });
    return copy;
  }

  function refresh() {
    var schema;
    try { schema = currentSchema(); } catch (e) { return; } // JSON being typed: wait until it parses
    if (editor) source.value = JSON.stringify(schema, null, 2);
    preview.importSchema(forPreview(schema)).catch(function () {});
  }

  fetch(cfg.fileUrl, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (schema) {
      source.value = JSON.stringify(schema, null, 2);
      var usesOurTypes = (schema.components || []).some(function (c) { return OUR_TYPES[c.type]; });
      if (usesOurTypes) return jsonOnly();
      editor = new FormEditor.FormEditor({ container: editorNode });
      return editor.importSchema(schema).then(function () { editor.on("changed", refresh); }, function () {
        editor.destroy();
        editor = null;
        jsonOnly();
      });
    })
    .then(function () { refresh(); editorNode.setAttribute("data-ready", "1"); })
    .catch(function (err) { D.status(document.getElementById("editor-status"), S.loadFailed + " " + err, "error"); });

  function jsonOnly() {
    editorNode.textContent = S.formLoadFailed;
    editorNode.classList.add("fallback");
    document.getElementById("json-source").open = true;
  }

  source.addEventListener("input", function () {
    if (editor) {
      try { editor.importSchema(JSON.parse(source.value)); } catch (e) { return; }
    }
    refresh();
  });

  function fileText() {
    return Promise.resolve([{ name: cfg.fileName, type: "application/json",
                              text: JSON.stringify(currentSchema(), null, 2) + "\n" }]);
  }
  D.wireActions(cfg, fileText, { mark: function () {}, pick: null });
  document.getElementById("btn-download").addEventListener("click", function () {
    fileText().then(function (files) { D.download(files[0].name, files[0].text, "application/json"); });
  });
})();

/* Shared by the three editors: configuration, posting files with the CSRF header, the problem
   list, downloads and the status line. No framework; every text from the server goes in as text. */
(function () {
  "use strict";

  function config() {
    return JSON.parse(document.getElementById("designer-config").textContent);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), attrs[key]);
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  /* POST the edited file(s) as multipart, like the upload form; resolves {status, body}. */
  function postFiles(url, csrf, files, fields) {
    var data = new FormData();
    files.forEach(function (f) {
      data.append("files", new Blob([f.text], { type: f.type || "application/xml" }), f.name);
    });
    Object.keys(fields || {}).forEach(function (key) { if (fields[key]) data.append(key, fields[key]); });
    return fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        return { status: resp.status, body: body };
      });
    });
  }

  function status(box, message, kind) {
    box.textContent = message || "";
    box.className = "editor-status" + (kind ? " " + kind : "");
    box.hidden = !message;
  }

  /* The problem list under the editor; onPick(problem) when a row is clicked. */
  function showProblems(panel, problems, strings, onPick) {
    var list = panel.querySelector("ol");
    list.textContent = "";
    panel.hidden = !problems.length;
    panel.querySelector(".count").textContent = problems.length;
    problems.forEach(function (p) {
      var where = [p.element_name, p.element_id ? "(" + p.element_id + ")" : "", p.file ? "· " + p.file : ""]
        .filter(Boolean).join(" ");
      var item = el("li", { "data-element-id": p.element_id || "" }, [
        el("div", { className: "where", text: where || strings.wholeUpload }),
        el("div", { className: "what", text: p.message })
      ]);
      if (onPick && p.element_id) {
        item.classList.add("pickable");
        item.tabIndex = 0;
        item.addEventListener("click", function () { onPick(p); });
        item.addEventListener("keydown", function (e) { if (e.key === "Enter") onPick(p); });
      }
      list.appendChild(item);
    });
  }

  function download(name, text, type) {
    var url = URL.createObjectURL(new Blob([text], { type: type || "application/xml" }));
    var link = el("a", { href: url, download: name });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  /* Validate / deploy buttons of an editor: `save()` resolves the files to send. */
  function wireActions(cfg, save, onProblems) {
    var box = document.getElementById("editor-status");
    var panel = document.getElementById("problems");
    var S = cfg.strings;
    function run(url, deploying) {
      status(box, deploying ? S.deploying : S.checking, "busy");
      return save().then(function (files) {
        var override = document.getElementById("deploy-override");
        var reason = document.getElementById("deploy-override-reason");
        return postFiles(url, cfg.csrf, files, {
          process_id: cfg.processId, note: deploying ? document.getElementById("deploy-note").value : "",
          override_failing_scenarios: deploying && override && override.checked ? "1" : "",
          override_reason: deploying && reason ? reason.value : ""
        });
      }).then(function (res) {
        var problems = res.body.problems || [];
        // A failing scenario is listed and marked like a problem, at the element after which its path went elsewhere.
        var failing = ((res.body.scenarios || {}).results || []).filter(function (r) { return !r.passed; });
        var shown = problems.concat(failing.map(function (r) {
          return { element_id: r.diverged_at, element_name: S.scenario + " " + r.title, file: r.file,
                   message: r.failures.join("；") };
        }));
        showProblems(panel, shown, S, onProblems.pick);
        onProblems.mark(shown);
        if (problems.length) {
          status(box, (deploying ? S.notDeployed : S.hasProblems).replace("%(n)s", problems.length), "error");
        } else if (res.status === 201) {
          status(box, S.deployed.replace("%(v)s", res.body.version), "ok");
          var link = el("a", { href: res.body.url, text: S.openVersion, "data-testid": "deployed-link" });
          box.appendChild(document.createTextNode(" "));
          box.appendChild(link);
        } else if (res.status === 200 && deploying) {
          status(box, S.unchanged.replace("%(v)s", res.body.version), "warning");
        } else if (res.status >= 400) {
          status(box, res.body.message || S.failed, "error");
        } else if (failing.length) {
          status(box, S.scenariosFail.replace("%(n)s", failing.length), "error");
        } else {
          status(box, S.noProblems, "ok");
        }
      }).catch(function (err) { status(box, S.failed + " " + (err && err.message || ""), "error"); });
    }
    document.getElementById("btn-check").addEventListener("click", function () { run(cfg.checkUrl, false); });
    document.getElementById("btn-deploy").addEventListener("click", function () {
      if (window.confirm(S.confirmDeploy)) run(cfg.deployUrl, true);
    });
    return { status: function (m, k) { status(box, m, k); } };
  }

  window.Designer = { config: config, el: el, postFiles: postFiles, showProblems: showProblems,
                      download: download, wireActions: wireActions, status: status };
})();

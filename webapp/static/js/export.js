/* A streamed export (a[data-export]) downloaded with its progress on the page: rows to write (the
   X-Export-Rows header) and bytes received so far. Without JavaScript, or if the browser cannot read
   a response as a stream, the link downloads the file as any link does. */
(function () {
  "use strict";
  var link = document.querySelector("a[data-export]");
  var status = document.querySelector("[data-export-status]");
  if (!link || !status || !window.fetch || !window.ReadableStream || !window.URL) return;
  var bar = status.querySelector("progress");
  var text = status.querySelector("[data-export-text]");

  function say(template, rows, kb) {
    text.textContent = template.replace("{rows}", rows.toLocaleString()).replace("{kb}", kb.toLocaleString());
  }

  link.addEventListener("click", function (event) {
    event.preventDefault();
    if (link.getAttribute("aria-busy") === "true") return;
    link.setAttribute("aria-busy", "true");
    status.hidden = false;
    bar.removeAttribute("value");
    text.textContent = status.dataset.starting;
    fetch(link.href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok || !response.body) throw new Error(String(response.status));
      var rows = parseInt(response.headers.get("X-Export-Rows") || "0", 10);
      var name = /filename=([^;]+)/.exec(response.headers.get("Content-Disposition") || "");
      var reader = response.body.getReader();
      var chunks = [];
      var received = 0;
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) return;
          chunks.push(step.value);
          received += step.value.length;
          say(status.dataset.receiving, rows, Math.round(received / 1024));
          return pump();
        });
      }
      return pump().then(function () {
        var blob = new Blob(chunks, { type: response.headers.get("Content-Type") || "application/octet-stream" });
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = name ? name[1] : "export.xlsx";
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
        bar.max = 1;
        bar.value = 1;
        say(status.dataset.done, rows, Math.round(received / 1024));
      });
    }).catch(function () {
      status.hidden = true;
      window.location.href = link.href;  // let the browser download it the plain way
    }).then(function () {
      link.removeAttribute("aria-busy");
    });
  });
})();

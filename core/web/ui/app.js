"use strict";
(function () {
  // fetch refuses a URL with credentials in it, and a relative URL picks
  // them up from a page opened as http://user:pass@host/; location.href
  // has them removed, and the browser still sends what the user gave.
  var here = function (path) { return new URL(path, location.href).href; };

  // Status page: reload the process table in place every few seconds, so
  // the scroll position and the page's message stay; pause while hidden.
  var table = document.getElementById("processes");
  var auto = document.getElementById("autorefresh");
  if (table && auto) {
    var key = "super.autorefresh";
    try { auto.checked = localStorage.getItem(key) !== "off"; } catch (e) {}
    auto.addEventListener("change", function () {
      try { localStorage.setItem(key, auto.checked ? "on" : "off"); } catch (e) {}
    });
    var busy = false;
    var refresh = function () {
      if (busy || !auto.checked || document.hidden) return;
      busy = true;
      fetch(here("index.html"), { cache: "no-store", credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("processes");
          var cur = document.getElementById("processes");
          if (fresh && cur && !document.body.classList.contains("busy")) {
            cur.replaceWith(document.importNode(fresh, true));
          }
        })
        .catch(function () {})
        .then(function () { busy = false; });
    };
    setInterval(refresh, 5000);
    document.addEventListener("visibilitychange", refresh);
    // Actions wait for the process (startsecs): show that something runs.
    document.addEventListener("click", function (ev) {
      var a = ev.target.closest && ev.target.closest("a.act, #buttons a[href*='action=']");
      if (a) document.body.classList.add("busy");
    });
  }

  // Tail page: follow /logtail as a stream, appending to the page.
  var pre = document.getElementById("tailbody");
  var follow = document.getElementById("follow");
  if (pre && follow && pre.dataset.stream) {
    var maxChars = 1 << 20;
    var ctl = null;
    var atBottom = function () {
      var el = document.scrollingElement || document.documentElement;
      return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    };
    var start = function () {
      if (ctl || !follow.checked) return;
      ctl = new AbortController();
      var mine = ctl;
      var text = null;
      var dec = new TextDecoder();
      fetch(here(pre.dataset.stream), { cache: "no-store", credentials: "same-origin", signal: mine.signal })
        .then(function (r) {
          if (!r.ok || !r.body) throw new Error(r.status);
          var reader = r.body.getReader();
          var pump = function () {
            return reader.read().then(function (res) {
              if (res.done) return;
              var chunk = dec.decode(res.value, { stream: true });
              var stick = atBottom();
              if (text === null) {
                // The stream starts with the file's last 1024 bytes: it
                // replaces what the page was rendered with.
                pre.textContent = "";
                text = document.createTextNode("");
                pre.appendChild(text);
              }
              text.appendData(chunk);
              if (text.length > maxChars) text.deleteData(0, text.length - maxChars);
              if (stick) window.scrollTo(0, document.body.scrollHeight);
              return pump();
            });
          };
          return pump();
        })
        .catch(function () {})
        .then(function () {
          if (ctl === mine) {
            ctl = null;
            if (follow.checked) setTimeout(start, 2000);
          }
        });
    };
    follow.addEventListener("change", function () {
      if (follow.checked) { start(); return; }
      if (ctl) { var c = ctl; ctl = null; c.abort(); }
    });
    window.scrollTo(0, document.body.scrollHeight);
    start();
  }
})();

"use strict";
(function () {
  // fetch refuses a URL with credentials in it, and a relative URL picks
  // them up from a page opened as http://user:pass@host/; location.href
  // has them removed, and the browser still sends what the user gave.
  var here = function (path) { return new URL(path, location.href).href; };
  var $ = function (id) { return document.getElementById(id); };
  var esc = function (s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  };

  // ---- The JSON API ----------------------------------------------------
  var main = $("content");
  var apiBase = main && main.dataset.api ? here(main.dataset.api) : null;
  var api = function (method, path, body) {
    var init = { method: method, cache: "no-store", credentials: "same-origin", headers: {} };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    return fetch(apiBase + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error(j.error ? j.error.message : "HTTP " + r.status);
        return j;
      });
    });
  };
  var enc = encodeURIComponent;

  // ---- Formatting ------------------------------------------------------
  var two = function (n) { return (n < 10 ? "0" : "") + n; };
  var clock = 0; // the daemon's clock minus ours, in seconds
  var nowSec = function () { return Date.now() / 1000 + clock; };
  var uptimeOf = function (p) {
    return p.statename === "RUNNING" && p.start ? Math.max(0, Math.floor(nowSec() - p.start)) : 0;
  };
  // 4.2's "H:MM:SS" (with "N days, " in front).
  var hms = function (s) {
    var d = Math.floor(s / 86400), r = s % 86400;
    var t = Math.floor(r / 3600) + ":" + two(Math.floor(r % 3600 / 60)) + ":" + two(r % 60);
    return d ? d + (d === 1 ? " day, " : " days, ") + t : t;
  };
  var short = function (s) {
    if (s >= 86400) return Math.floor(s / 86400) + "d " + Math.floor(s % 86400 / 3600) + "h";
    if (s >= 3600) return Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m";
    if (s >= 60) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    return s + "s";
  };
  var bytes = function (n) {
    if (n == null) return "–";
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + " " + u[i];
  };
  var describe = function (p) {
    var d = p.description;
    if (p.statename === "RUNNING") d = "pid " + p.pid + ", uptime " + hms(uptimeOf(p));
    else if (p.restart_at) {
      // The daemon's text counted at the time it was read: count on here.
      d = d.replace(/,? ?restarting in \d+ s$/, "") + ", restarting in " +
        Math.max(0, Math.ceil(p.restart_at - nowSec())) + " s";
    }
    // A notify program's STATUS=, as supervisorctl status shows it.
    if (p.notify_status) d += (d ? ", " : "") + "status: " + p.notify_status;
    return d;
  };
  var stateClass = function (st) {
    return st === "RUNNING" ? "statusrunning" : st === "FATAL" || st === "BACKOFF" ? "statuserror" : "statusnominal";
  };
  var healthClass = function (h) {
    return h === "healthy" ? "statusrunning" : h === "unhealthy" ? "statuserror" : "statusnominal";
  };
  var isRunning = function (st) { return st === "RUNNING" || st === "STARTING" || st === "BACKOFF"; };

  // ---- Messages --------------------------------------------------------
  var say = function (text, bad) {
    var m = $("statusmessage");
    if (!m) {
      m = document.createElement("div");
      m.id = "statusmessage";
      main.insertBefore(m, main.firstChild);
    }
    m.className = "status_msg" + (bad ? " error" : "");
    m.textContent = text;
  };
  var ctime = function () { return new Date().toString().replace(/ GMT.*/, ""); };

  // ---- The status page -------------------------------------------------
  var box = $("processes");
  if (box && apiBase && window.EventSource) {
    var ROW = 36;          // px; every row has this height, so the visible ones are known
    var OVERSCAN = 10;
    var procs = [];        // every process, by group then name, as the API lists them
    var byName = new Map();
    var selected = new Set();
    var view = [];         // the rows to show: {key, group} or {key, p}
    var loaded = false, queued = [];
    var filterText = "", filterState = "";
    var table, tbody, cols = 10;

    // Rows are rebuilt only when their process changed (p._v), so a
    // click is never lost to a redraw.
    var rowCache = new Map();
    var bump = function (p) { p._v = (p._v || 0) + 1; };

    var matches = function (p) {
      if (filterText && p.namespec.toLowerCase().indexOf(filterText) < 0) return false;
      switch (filterState) {
        case "": return true;
        case "running": return p.statename === "RUNNING";
        case "notrunning": return p.statename !== "RUNNING";
        case "problem": return p.statename === "FATAL" || p.statename === "BACKOFF" || p.statename === "UNKNOWN" ||
          (p.statename === "EXITED" && p.exitstatus !== 0) || p.health === "unhealthy";
      }
      return p.statename === filterState;
    };
    // A group gets a header row when it is more than its one program.
    var grouped = function (g, members) { return members.length > 1 || members[0].name !== g; };

    var rebuild = function () {
      view = [];
      var shown = 0, i = 0;
      while (i < procs.length) {
        var g = procs[i].group, members = [];
        for (; i < procs.length && procs[i].group === g; i++) members.push(procs[i]);
        var vis = members.filter(matches);
        if (!vis.length) continue;
        shown += vis.length;
        if (grouped(g, members)) {
          var run = members.filter(function (p) { return p.statename === "RUNNING"; }).length;
          var sel = members.every(function (p) { return selected.has(p.namespec); });
          view.push({ key: "g:" + g, group: g, members: members, ver: run + "/" + members.length + (sel ? "s" : "") });
        }
        vis.forEach(function (p) { view.push({ key: "p:" + p.namespec, p: p }); });
      }
      $("count").textContent = shown === procs.length ? procs.length + " processes" : shown + " of " + procs.length + " processes";
    };

    var actionLinks = function (p) {
      var q = "index.html?processname=" + enc(p.namespec) + "&action=";
      var out = [];
      if (p.statename === "RUNNING") out.push(["Restart", "restart"], ["Stop", "stop"]);
      else if (p.statename === "STARTING" || p.statename === "BACKOFF") out.push(["Stop", "stop"]);
      else if (p.statename !== "STOPPING") out.push(["Start", "start"]);
      out.push(["Clear Log", "clearlog"]);
      return out.map(function (a) {
        return '<li><a href="' + q + a[1] + '" name="' + a[0] + '" class="act" data-act="' + a[1] + '">' + a[0] + "</a></li>";
      }).join("") + '<li><a href="tail.html?processname=' + enc(p.namespec) + '" target="_blank" data-log="1">Log</a></li>';
    };

    var procRow = function (p) {
      var tr = document.createElement("tr");
      tr.dataset.name = p.namespec;
      var h = p.health && p.statename === "RUNNING" ? '<span class="' + healthClass(p.health) + '">' + esc(p.health) + "</span>" : "";
      var up = uptimeOf(p);
      tr.innerHTML =
        '<td class="sel"><input type="checkbox" aria-label="select"' + (selected.has(p.namespec) ? " checked" : "") + "></td>" +
        '<td class="status"><span class="' + stateClass(p.statename) + '">' + esc(p.statename.toLowerCase()) + "</span></td>" +
        '<td class="name"><a href="tail.html?processname=' + enc(p.namespec) + '" target="_blank" data-log="1">' + esc(p.namespec) + "</a></td>" +
        '<td class="desc" title="' + esc(describe(p)) + '"><span>' + esc(describe(p)) + "</span></td>" +
        '<td class="health">' + h + "</td>" +
        '<td class="uptime num">' + (up ? short(up) : "") + "</td>" +
        '<td class="restarts num">' + (p.restarts || 0) + "</td>" +
        '<td class="cpu num">' + (p.cpu_percent == null ? "–" : p.cpu_percent.toFixed(1) + "%") + "</td>" +
        '<td class="mem num"' + (p.memory_max_bytes ? ' title="limit ' + bytes(p.memory_max_bytes) +
          (p.oom_kills ? ", " + p.oom_kills + " OOM kills" : "") + '"' : "") + ">" + bytes(p.memory_bytes) + "</td>" +
        '<td class="action"><ul>' + actionLinks(p) + "</ul></td>";
      return tr;
    };

    var groupRow = function (it) {
      var tr = document.createElement("tr");
      tr.className = "grouprow";
      tr.dataset.group = it.group;
      var run = it.members.filter(function (p) { return p.statename === "RUNNING"; }).length;
      var sel = it.members.every(function (p) { return selected.has(p.namespec); });
      tr.innerHTML = '<td class="sel"><input type="checkbox" aria-label="select group"' + (sel ? " checked" : "") + "></td>" +
        '<td colspan="' + (cols - 2) + '"><span class="gname">' + esc(it.group) + '</span> <span class="muted">' +
        run + " of " + it.members.length + " running</span></td>" +
        '<td class="action"><ul><li><a href="#" data-gact="start">Start</a></li><li><a href="#" data-gact="stop">Stop</a></li>' +
        '<li><a href="#" data-gact="restart">Restart</a></li></ul></td>';
      return tr;
    };

    var spacer = function () {
      var tr = document.createElement("tr");
      tr.className = "spacer";
      tr.innerHTML = '<td colspan="' + cols + '"></td>';
      return tr;
    };
    var top, bottom, shownNodes = [];

    var render = function () {
      var tableTop = tbody.getBoundingClientRect().top + window.scrollY;
      var first = Math.max(0, Math.floor((window.scrollY - tableTop) / ROW) - OVERSCAN);
      var last = Math.min(view.length, Math.ceil((window.scrollY + window.innerHeight - tableTop) / ROW) + OVERSCAN);
      if (last < first) last = first;
      var nodes = [], keep = new Map();
      for (var i = first; i < last; i++) {
        var it = view[i], c = rowCache.get(it.key);
        var ver = it.p ? it.p._v + (selected.has(it.p.namespec) ? "s" : "") : it.ver;
        if (!c || c.ver !== ver) c = { ver: ver, tr: it.p ? procRow(it.p) : groupRow(it) };
        keep.set(it.key, c);
        nodes.push(c.tr);
      }
      rowCache = keep;
      top.style.height = first * ROW + "px";
      bottom.style.height = (view.length - last) * ROW + "px";
      // Touch only the rows that come or go: the others stay in the
      // document as they are (a row being clicked is never detached).
      var want = new Set(nodes);
      for (var n = top.nextSibling; n !== bottom;) {
        var nx = n.nextSibling;
        if (!want.has(n)) tbody.removeChild(n);
        n = nx;
      }
      var at = top.nextSibling;
      nodes.forEach(function (d) {
        if (at === d) at = at.nextSibling;
        else tbody.insertBefore(d, at);
      });
      shownNodes = nodes;
    };
    var pending = false, needRebuild = false;
    var schedule = function (rebuildToo) {
      needRebuild = needRebuild || rebuildToo;
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        if (needRebuild) { rebuild(); needRebuild = false; }
        render();
      });
    };

    // The live table replaces the one the page came with.
    var setup = function () {
      box.innerHTML = "";
      table = document.createElement("table");
      table.id = "statustable";
      table.className = "live";
      table.innerHTML = '<thead><tr><th class="sel"><input type="checkbox" id="selectall" aria-label="select all shown"></th>' +
        '<th class="state">State</th><th class="name">Name</th><th class="desc">Description</th><th class="health">Health</th>' +
        '<th class="uptime num">Uptime</th><th class="restarts num">Restarts</th><th class="cpu num">CPU</th>' +
        '<th class="mem num">Memory</th><th class="action">Action</th></tr></thead>';
      tbody = document.createElement("tbody");
      table.appendChild(tbody);
      box.appendChild(table);
      top = spacer(); bottom = spacer();
      tbody.append(top, bottom);
      $("toolbar").hidden = false;
    };

    // A row is drawn again only when something it shows changed: a
    // redraw between a press and a release would lose the click.
    var merge = function (p, fields) {
      var changed = false;
      for (var k in fields) {
        if (k === "now" || k === "uptime") continue;
        if (p[k] !== fields[k]) { p[k] = fields[k]; changed = true; }
      }
      if (fields.now) clock = fields.now - Date.now() / 1000;
      if (changed) bump(p);
    };
    var apply = function (name, d) {
      if (name === "process" || name === "health") {
        var p = byName.get(d.namespec);
        if (!p) { reload(); return; }
        var was = p.statename;
        merge(p, d);
        schedule(filterState !== "" || was !== p.statename);
      } else if (name === "stats") {
        d.processes.forEach(function (s) {
          var p = byName.get(s.namespec);
          if (p) merge(p, s);
        });
        schedule(false);
      } else if (name === "group") {
        reload();
      } else if (name === "supervisor") {
        if (d.change === "stopping") say("supervisord is stopping", true);
        else reload();
      }
    };

    var loading = false;
    var reload = function () {
      if (loading) return;
      loading = true;
      loaded = false;
      api("GET", "processes").then(function (j) {
        procs = j.processes;
        byName = new Map();
        procs.forEach(function (p) { p._v = 0; byName.set(p.namespec, p); });
        if (procs.length) clock = procs[0].now - Date.now() / 1000;
        selected.forEach(function (n) { if (!byName.has(n)) selected.delete(n); });
        if (!table) setup();
        loaded = true;
        var q = queued;
        queued = [];
        q.forEach(function (e) { apply(e[0], e[1]); });
        rowCache = new Map();
        schedule(true);
        updateSelection();
      }).catch(function (e) {
        say("could not load the process list: " + e.message, true);
      }).then(function () { loading = false; });
    };

    // The event stream: every change, as it happens. The browser
    // reconnects by itself and resumes with the last event's id.
    var live = $("live");
    live.hidden = false;
    var es = new EventSource(apiBase + "events?types=process,health,stats,group,supervisor");
    var setLive = function (ok) {
      live.textContent = ok ? "● live" : "○ reconnecting";
      live.className = "live" + (ok ? " on" : "");
    };
    setLive(false);
    es.addEventListener("open", function () { setLive(true); });
    es.addEventListener("error", function () { setLive(false); });
    ["hello", "reset"].forEach(function (n) {
      es.addEventListener(n, function () { reload(); });
    });
    ["process", "health", "stats", "group", "supervisor"].forEach(function (n) {
      es.addEventListener(n, function (ev) {
        var d = JSON.parse(ev.data);
        if (loaded) apply(n, d); else queued.push([n, d]);
      });
    });

    window.addEventListener("scroll", function () { schedule(false); }, { passive: true });
    window.addEventListener("resize", function () { schedule(false); });
    // Uptimes and pending restarts count on: the shown cells only.
    setInterval(function () {
      if (!tbody || document.hidden) return;
      shownNodes.forEach(function (tr) {
        var p = tr.dataset.name && byName.get(tr.dataset.name);
        if (!p || (p.statename !== "RUNNING" && !p.restart_at)) return;
        var d = tr.querySelector("td.desc span"), u = tr.querySelector("td.uptime");
        if (d) d.textContent = describe(p);
        if (u) u.textContent = uptimeOf(p) ? short(uptimeOf(p)) : "";
      });
    }, 1000);

    // Filters.
    var ft;
    $("filter").addEventListener("input", function (ev) {
      clearTimeout(ft);
      ft = setTimeout(function () { filterText = ev.target.value.trim().toLowerCase(); schedule(true); }, 80);
    });
    $("statefilter").addEventListener("change", function (ev) { filterState = ev.target.value; schedule(true); });

    // Selection.
    var updateSelection = function () {
      $("selection").hidden = selected.size === 0;
      $("selcount").textContent = selected.size + " selected";
    };
    var shownProcs = function () { return view.filter(function (it) { return it.p; }).map(function (it) { return it.p; }); };
    box.addEventListener("change", function (ev) {
      var cb = ev.target;
      if (cb.type !== "checkbox") return;
      var tr = cb.closest("tr");
      var list = cb.id === "selectall" ? shownProcs() :
        tr.dataset.group ? procs.filter(function (p) { return p.group === tr.dataset.group && matches(p); }) :
        [byName.get(tr.dataset.name)];
      list.forEach(function (p) { if (cb.checked) selected.add(p.namespec); else selected.delete(p.namespec); bump(p); });
      updateSelection();
      schedule(true);
    });

    // Actions: through the API, with 4.2's messages.
    var verbs = { start: "started", stop: "stopped", restart: "restarted", clear: "cleared" };
    var act = function (name, what) {
      if (what === "clearlog") {
        return api("DELETE", "processes/" + enc(name) + "/logs").then(function () { return "Log for " + name + " cleared"; });
      }
      return api("POST", "processes/" + enc(name) + "/" + what).then(function () { return "Process " + name + " " + verbs[what]; });
    };
    var busy = function (on) { document.body.classList.toggle("busy", on); };
    box.addEventListener("click", function (ev) {
      var a = ev.target.closest("a");
      if (!a || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      var tr = a.closest("tr");
      if (a.dataset.act) {
        ev.preventDefault();
        busy(true);
        act(tr.dataset.name, a.dataset.act).then(function (m) { say(m); }, function (e) {
          say("ERROR: Process " + tr.dataset.name + ": " + e.message, true);
        }).then(function () { busy(false); });
      } else if (a.dataset.gact) {
        ev.preventDefault();
        var g = tr.dataset.group;
        busy(true);
        api("POST", "groups/" + enc(g) + "/" + a.dataset.gact).then(function (j) {
          var bad = j.results.filter(function (r) { return r.code !== 80; });
          if (bad.length) say(bad.map(function (r) { return r.namespec + ": " + r.description; }).join("; "), true);
          else say("Group " + g + " " + verbs[a.dataset.gact]);
        }, function (e) { say("ERROR: Group " + g + ": " + e.message, true); }).then(function () { busy(false); });
      } else if (a.dataset.log) {
        ev.preventDefault();
        openLog({ name: tr.dataset.name });
      }
    });
    // Several at once, a few requests at a time.
    document.querySelectorAll("[data-bulk]").forEach(function (b) {
      b.addEventListener("click", function () {
        var what = b.dataset.bulk, names = Array.from(selected), failed = [], done = 0, next = 0;
        if (!names.length) return;
        busy(true);
        var worker = function () {
          if (next >= names.length) return Promise.resolve();
          var n = names[next++];
          var p = byName.get(n);
          var op = what === "clear" ? "clearlog" : what;
          if (what === "start" && p && isRunning(p.statename)) return worker();
          if (what === "stop" && p && !isRunning(p.statename)) return worker();
          return act(n, op).then(function () { done++; }, function (e) { failed.push(n + ": " + e.message); }).then(worker);
        };
        Promise.all([worker(), worker(), worker(), worker()]).then(function () {
          busy(false);
          if (failed.length) say(failed.length + " failed: " + failed.join("; "), true);
          else say(done + (done === 1 ? " process " : " processes ") + (what === "clear" ? "cleared" : verbs[what]));
        });
      });
    });
    // The buttons on top, through the API too.
    document.querySelectorAll("#buttons a[href*='action=']").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        var what = new URL(a.href).searchParams.get("action");
        ev.preventDefault();
        if (what === "refresh") { reload(); say("Page refreshed at " + ctime()); return; }
        busy(true);
        var call = what === "stopall" ? api("POST", "all/stop") : api("POST", "all/restart");
        call.then(function () { say((what === "stopall" ? "All stopped at " : "All restarted at ") + ctime()); },
          function (e) { say(e.message, true); }).then(function () { busy(false); });
      });
    });
    $("mainlog").addEventListener("click", function (ev) {
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey) return;
      ev.preventDefault();
      openLog({ main: true });
    });
  }

  // ---- The log view: one process's log, or the activity log -------------
  var lv = $("logview");
  var openLog = function () {};
  if (lv && apiBase) {
    var pre = $("logtext"), follow = $("logfollow"), pauseBtn = $("logpause"), search = $("logsearch");
    var chan = $("logchannel"), info = $("loginfo");
    var MAX = 1 << 20;
    var cur = null, text = "", end = 0, held = "", paused = false, les = null;
    var atBottom = function () { return pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40; };
    var show = function () {
      var stick = atBottom();
      var term = search.value.toLowerCase();
      if (term) {
        var lines = text.split("\n").filter(function (l) { return l.toLowerCase().indexOf(term) >= 0; });
        pre.textContent = lines.join("\n");
        info.textContent = lines.length + " matching lines";
      } else {
        pre.textContent = text;
        info.textContent = paused ? "paused" + (held ? ", " + held.length + " characters waiting" : "") : "";
      }
      if (stick) pre.scrollTop = pre.scrollHeight;
    };
    var add = function (s) {
      text += s;
      if (text.length > MAX) {
        var cut = text.indexOf("\n", text.length - MAX);
        text = text.slice(cut < 0 ? text.length - MAX : cut + 1);
      }
    };
    var st;
    var showSoon = function () { clearTimeout(st); st = setTimeout(show, search.value ? 150 : 0); };
    // Log events may repeat what the first read gave (their offsets
    // tell): only the bytes past end are new.
    var onLog = function (ev) {
      var d = JSON.parse(ev.data), s;
      if (d.truncated) { s = "==> File truncated <==\n"; end = 0; }
      else {
        if (d.offset + d.data.length <= end) return;
        s = d.offset < end ? d.data.slice(end - d.offset) : d.data;
        end = d.offset + d.data.length;
      }
      if (paused) { held += s; info.textContent = "paused, " + held.length + " characters waiting"; return; }
      add(s);
      showSoon();
    };
    var stop = function () { if (les) { les.close(); les = null; } };
    var start = function () {
      stop();
      if (!follow.checked || !cur) return;
      var q = cur.main ? "mainlog=1" : "follow=" + enc(cur.name + (chan.value === "stderr" ? "/stderr" : ""));
      les = new EventSource(apiBase + "events?types=none&" + q);
      les.addEventListener("log", onLog);
    };
    var load = function () {
      stop();
      text = ""; held = ""; end = 0;
      pre.textContent = "";
      var base = cur.main ? "supervisor/log" : "processes/" + enc(cur.name) + "/logs/" + chan.value;
      $("logdownload").href = apiBase + base + "/download";
      api("GET", base + "?offset=-65536").then(function (j) {
        add(j.data);
        end = j.next_offset;
        show();
        pre.scrollTop = pre.scrollHeight;
      }, function (e) { text = ""; info.textContent = e.message; pre.textContent = ""; }).then(start);
    };
    openLog = function (what) {
      cur = what;
      $("logtitle").textContent = what.main ? "Activity log" : what.name;
      chan.hidden = !!what.main;
      chan.value = "stdout";
      paused = false;
      pauseBtn.textContent = "Pause";
      search.value = "";
      lv.hidden = false;
      document.body.classList.add("logopen");
      load();
    };
    var close = function () {
      stop();
      cur = null;
      lv.hidden = true;
      document.body.classList.remove("logopen");
    };
    $("logclose").addEventListener("click", close);
    document.addEventListener("keydown", function (ev) { if (ev.key === "Escape" && !lv.hidden) close(); });
    chan.addEventListener("change", load);
    follow.addEventListener("change", start);
    pauseBtn.addEventListener("click", function () {
      paused = !paused;
      pauseBtn.textContent = paused ? "Resume" : "Pause";
      if (!paused && held) { add(held); held = ""; }
      show();
    });
    search.addEventListener("input", showSoon);
  }

  // ---- 4.2's tail page: follow /logtail as a stream ---------------------
  var tail = $("tailbody");
  var tailFollow = $("follow");
  if (tail && tailFollow && tail.dataset.stream) {
    var maxChars = 1 << 20;
    var ctl = null;
    var atEnd = function () {
      var el = document.scrollingElement || document.documentElement;
      return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    };
    var begin = function () {
      if (ctl || !tailFollow.checked) return;
      ctl = new AbortController();
      var mine = ctl;
      var node = null;
      var dec = new TextDecoder();
      fetch(here(tail.dataset.stream), { cache: "no-store", credentials: "same-origin", signal: mine.signal })
        .then(function (r) {
          if (!r.ok || !r.body) throw new Error(r.status);
          var reader = r.body.getReader();
          var pump = function () {
            return reader.read().then(function (res) {
              if (res.done) return;
              var chunk = dec.decode(res.value, { stream: true });
              var stick = atEnd();
              if (node === null) {
                // The stream starts with the file's last 1024 bytes: it
                // replaces what the page was rendered with.
                tail.textContent = "";
                node = document.createTextNode("");
                tail.appendChild(node);
              }
              node.appendData(chunk);
              if (node.length > maxChars) node.deleteData(0, node.length - maxChars);
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
            if (tailFollow.checked) setTimeout(begin, 2000);
          }
        });
    };
    tailFollow.addEventListener("change", function () {
      if (tailFollow.checked) { begin(); return; }
      if (ctl) { var c = ctl; ctl = null; c.abort(); }
    });
    window.scrollTo(0, document.body.scrollHeight);
    begin();
  }
})();

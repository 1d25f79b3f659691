// neardup report: sorts and filters the contents, renders a pair's two
// texts side by side when its view is opened (from the texts stored once in
// the page and the alignment in the view's data attributes), and opens what
// a link points to. The page reads without it.
(function () {
  "use strict";
  var d = document;
  d.documentElement.classList.add("js");

  // --- The contents: filter and sort -------------------------------------
  var table = d.getElementById("toc-table");
  if (table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var input = d.getElementById("filter");
    var shown = d.getElementById("shown");
    var filter = function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var n = 0;
      rows.forEach(function (r) {
        var q = r.getAttribute("data-q");
        var ok = words.every(function (w) { return q.indexOf(w) >= 0; });
        r.hidden = !ok;
        if (ok) n++;
      });
      shown.textContent = (words.length ? n + " of " : "") + rows.length +
        (rows.length === 1 ? " cluster" : " clusters");
    };
    input.addEventListener("input", filter);
    var heads = table.tHead.rows[0].cells;
    var sortBy = function (th, col) {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var num = th.getAttribute("data-sort") === "n";
      var dir = asc ? 1 : -1;
      var keyed = rows.map(function (r, i) {
        var c = r.cells[col];
        return [num ? parseFloat(c.getAttribute("data-v")) : c.textContent.toLowerCase(), i, r];
      });
      keyed.sort(function (x, y) {
        return (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0) * dir || x[1] - y[1];
      });
      var frag = d.createDocumentFragment();
      rows = keyed.map(function (k) { frag.appendChild(k[2]); return k[2]; });
      body.appendChild(frag);
    };
    Array.prototype.forEach.call(heads, function (th, col) {
      if (!th.hasAttribute("data-sort")) return;
      th.tabIndex = 0;
      th.title = "sort by this column";
      th.addEventListener("click", function () { sortBy(th, col); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th, col); }
      });
    });
    filter();
  }

  // --- A pair side by side -------------------------------------------------
  var el = function (tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  };
  var stored = function (i) {
    var t = d.getElementById("t-" + i);
    return t ? t.textContent : null;
  };
  var docId = function (i) {
    var a = d.getElementById("d-" + i);
    return a ? a.getAttribute("data-id") : String(i);
  };
  var json = function (v, name) {
    var s = v.getAttribute("data-" + name);
    return s ? JSON.parse(s) : [];
  };
  // Numbers of a compact list: base 36, separated by spaces and dots.
  var nums = function (s) {
    return s ? s.split(" ").map(function (t) {
      return t.split(".").map(function (x) { return parseInt(x, 36); });
    }) : [];
  };
  // Spans `[start, end, ...]` of `data-oa` / `data-ob`.
  var spans = function (v, name) {
    var out = [], at = 0;
    nums(v.getAttribute("data-" + name)).forEach(function (f) {
      out.push(at + f[0], at + f[0] + f[1]);
      at += f[0] + f[1];
    });
    return out;
  };
  // Passages `[a_start, a_end, b_start, b_end, [edits, four numbers each]]`
  // of `data-p`.
  var passages = function (v) {
    var P = [], pa = 0, pb = 0;
    nums(v.getAttribute("data-p")).forEach(function (f) {
      var as = pa + f[0], ae = as + f[1], bs = pb + f[2], be = bs + f[3];
      var E = [], ea = as, eb = bs;
      for (var j = 4; j + 3 < f.length; j += 4) {
        var x = ea + f[j], y = eb + f[j + 2];
        ea = x + f[j + 1];
        eb = y + f[j + 3];
        E.push(x, ea, y, eb);
      }
      P.push([as, ae, bs, be, E]);
      pa = ae;
      pb = be;
    });
    return P;
  };
  var words = function (t, s, e) {
    var w = t.slice(s, e).replace(/\s+/g, " ").trim();
    if (!w) return "(nothing)";
    var cs = Array.from(w);
    return cs.length > 80 ? cs.slice(0, 80).join("") + "\u2026" : w;
  };
  var utf8 = function (t) { return new TextEncoder().encode(t).length; };

  // The strip of where the passages sit (as the report draws it in Rust).
  var strip = function (la, lb, P) {
    // The SVG namespace, from a chart of the page (so that the page names
    // no address at all).
    var NS = d.querySelector("svg").namespaceURI;
    var L = Math.max(la, lb, 1);
    var x = function (v) { return Math.round(v / L * 1000); };
    var svg = d.createElementNS(NS, "svg");
    var set = function (e, attrs) { for (var k in attrs) e.setAttribute(k, attrs[k]); return e; };
    set(svg, { "class": "strip", viewBox: "0 0 1000 30", preserveAspectRatio: "none",
      "data-passages": P.length, role: "img" });
    var paths = { band: "", pa: "", pb: "", ed: "" };
    var rect = function (k, s, e, y) {
      paths[k] += "M" + x(s) + " " + y + "h" + Math.max(1, x(e) - x(s)) + "v8H" + x(s) + "z";
    };
    var edits = 0;
    P.forEach(function (p) {
      paths.band += "M" + x(p[0]) + " 8L" + x(p[1]) + " 8L" + x(p[3]) + " 22L" + x(p[2]) + " 22z";
      rect("pa", p[0], p[1], 0);
      rect("pb", p[2], p[3], 22);
      for (var j = 0; j < p[4].length; j += 4) {
        edits++;
        if (p[4][j + 1] > p[4][j]) rect("ed", p[4][j], p[4][j + 1], 0);
        if (p[4][j + 3] > p[4][j + 2]) rect("ed", p[4][j + 2], p[4][j + 3], 22);
      }
    });
    svg.setAttribute("data-edits", edits);
    svg.appendChild(set(d.createElementNS(NS, "rect"), { "class": "bar", width: Math.max(1, x(la)), height: 8 }));
    svg.appendChild(set(d.createElementNS(NS, "rect"), { "class": "bar", y: 22, width: Math.max(1, x(lb)), height: 8 }));
    for (var k in paths) {
      if (paths[k]) svg.appendChild(set(d.createElementNS(NS, "path"), { "class": k, d: paths[k] }));
    }
    return svg;
  };

  // One column, marked as the Rust renderer marks the page of a pair.
  var column = function (side, id, t, ta, tb, P, only, bp, pre) {
    var S = side.toUpperCase(), o = side === "a" ? "b" : "a", O = o.toUpperCase();
    var k = side === "a" ? 0 : 2;
    var col = el("div", "doc doc-" + side);
    var h = el("h4");
    h.appendChild(el("span", "side", S));
    h.appendChild(d.createTextNode(id));
    col.appendChild(h);
    var covered = 0;
    P.forEach(function (p) { covered += p[k + 1] - p[k]; });
    col.appendChild(el("p", "meta", utf8(t) + (utf8(t) === 1 ? " byte" : " bytes") + " \u00b7 " +
      (only.length / 2) + (only.length === 2 ? " span" : " spans") + " only here"));
    var box = el("div", "text");
    box.id = pre + side + "-text";
    var marks = [];
    P.forEach(function (p, i) { marks.push([p[k], p[k + 1], i + 1]); });
    for (var j = 0; j < only.length; j += 2) marks.push([only[j], only[j + 1], 0]);
    marks.sort(function (x, y) { return x[0] - y[0] || x[1] - y[1] || (x[2] ? 0 : 1) - (y[2] ? 0 : 1); });
    var passage = function (n, s, e) {
      var m = el("mark", "shared" + (n % 2 === 0 ? " alt" : "") +
        (bp.indexOf(n) >= 0 ? " boilerplate" : ""));
      m.id = pre + side + "-p" + n;
      m.setAttribute("data-passage", n);
      var a = el("a", "pn");
      a.href = "#" + pre + o + "-p" + n;
      a.setAttribute("data-n", n);
      a.title = "passage " + n + ": go to it in " + O;
      a.setAttribute("aria-label", "passage " + n + " in " + O);
      m.appendChild(a);
      var E = P[n - 1][4], at = s;
      for (var j = 0; j < E.length; j += 4) {
        var es = E[j + k], ee = E[j + k + 1];
        if (es < at || ee > e) continue;
        if (es > at) m.appendChild(d.createTextNode(t.slice(at, es)));
        var x = el("mark", "edit" + (es === ee ? " gap" : ""), t.slice(es, ee));
        x.title = "edit: A " + words(ta, E[j], E[j + 1]) + " | B " + words(tb, E[j + 2], E[j + 3]);
        m.appendChild(x);
        at = ee;
      }
      if (at < e) m.appendChild(d.createTextNode(t.slice(at, e)));
      return m;
    };
    var at = 0;
    marks.forEach(function (m) {
      var s = Math.max(m[0], at), e = m[1];
      if (s >= e || e > t.length) return;
      if (s > at) box.appendChild(d.createTextNode(t.slice(at, s)));
      if (m[2]) {
        box.appendChild(passage(m[2], s, e));
      } else {
        var sp = el("span", "only", t.slice(s, e));
        sp.title = "only in " + S;
        box.appendChild(sp);
      }
      at = e;
    });
    if (at < t.length) box.appendChild(d.createTextNode(t.slice(at)));
    col.appendChild(box);
    return col;
  };

  var render = function (v) {
    v.setAttribute("data-done", "1");
    var box = v.querySelector(".pairview");
    box.textContent = "";
    var a = v.getAttribute("data-a"), b = v.getAttribute("data-b");
    var ta = stored(a), tb = stored(b);
    if (ta === null || tb === null || !v.hasAttribute("data-p")) {
      box.appendChild(el("p", "unavailable",
        "A text of this pair is unavailable (it could not be read again)."));
      return;
    }
    var P = passages(v), oa = spans(v, "oa"), ob = spans(v, "ob"), bp = json(v, "bp");
    if (v.classList.contains("ondemand")) box.appendChild(strip(ta.length, tb.length, P));
    var cols = el("div", "cols");
    var pre = v.id + "-";
    cols.appendChild(column("a", docId(a), ta, ta, tb, P, oa, bp, pre));
    cols.appendChild(column("b", docId(b), tb, ta, tb, P, ob, bp, pre));
    box.appendChild(cols);
  };

  d.addEventListener("toggle", function (e) {
    var v = e.target;
    if (v.classList && v.classList.contains("view") && v.open && !v.hasAttribute("data-done")) {
      render(v);
    }
  }, true);

  // The strips of a cluster's views, drawn when the cluster comes near the
  // screen.
  var drawStrips = function (section) {
    section.querySelectorAll("details.view > summary .sv").forEach(function (sv) {
      if (sv.firstChild) return;
      var v = sv.parentNode.parentNode;
      var ta = stored(v.getAttribute("data-a")), tb = stored(v.getAttribute("data-b"));
      if (ta !== null && tb !== null) sv.appendChild(strip(ta.length, tb.length, passages(v)));
    });
  };
  var sections = d.querySelectorAll("section.cluster");
  if (window.IntersectionObserver) {
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (en) {
        if (en.isIntersecting) { seen.unobserve(en.target); drawStrips(en.target); }
      });
    }, { rootMargin: "800px 0px" });
    sections.forEach(function (s) { seen.observe(s); });
  } else {
    sections.forEach(drawStrips);
  }

  // A pair without the representative, on demand, in its cluster's viewer.
  d.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("table.pairs button") : null;
    if (!b) return;
    var v = b.closest("section").querySelector("details.view.ondemand");
    ["data-a", "data-b", "data-p", "data-oa", "data-ob", "data-bp"].forEach(function (k) {
      if (b.hasAttribute(k)) v.setAttribute(k, b.getAttribute(k)); else v.removeAttribute(k);
    });
    v.querySelector("summary").textContent =
      docId(b.getAttribute("data-a")) + " ~ " + docId(b.getAttribute("data-b"));
    v.classList.add("filled");
    if (v.open) render(v); else { v.removeAttribute("data-done"); v.open = true; }
    v.scrollIntoView();
  });

  // Open every <details> around the target of a link.
  var openHash = function () {
    var id = decodeURIComponent(location.hash.slice(1));
    var t = id && d.getElementById(id);
    if (!t) return;
    for (var e = t; e; e = e.parentElement) {
      if (e.tagName === "DETAILS" && !e.open) e.open = true;
    }
    t.scrollIntoView();
  };
  window.addEventListener("hashchange", openHash);
  openHash();
})();

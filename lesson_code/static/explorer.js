// The book's explorer of learning rate, batch size, seed and step.
// Every run was computed when the book was built (lesson_code.explorer) and sits in the
// page as JSON; this script only draws and replays it. No framework, nothing fetched.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var W = 320, H = 230, M = { left: 46, right: 10, top: 24, bottom: 36 };
  var STEP_MS = 60;
  var counter = 0;

  function svgEl(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function htmlEl(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  // Four significant digits, as in the data, without trailing zeros: 0.1, 2.5, 1000, 2.175e19.
  function fmt(v) {
    if (v === null || v === undefined) return "\u221e";
    var parts = Number(v).toPrecision(4).split("e");
    if (parts[0].indexOf(".") >= 0) parts[0] = parts[0].replace(/0+$/, "").replace(/\.$/, "");
    return parts.join("e").replace("e+", "e");
  }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function scale(d0, d1, r0, r1) {
    return function (v) { return clamp(r0 + (v - d0) / (d1 - d0) * (r1 - r0), -1e4, 1e4); };
  }
  function ticks(lo, hi, count) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
    var err = (hi - lo) / count / step;
    step *= err >= 5 ? 10 : err >= 2.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.round(t / step) * step);
    return out;
  }

  // A panel: an SVG with a title, a clipped plot area, axes and their labels.
  function panel(parent, id, title, xlabel, ylabel, sx, sy, xt, yt, ytLabel) {
    var svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": id + "-t",
                             class: "sgd-x-panel" }, parent);
    svgEl("title", { id: id + "-t" }, svg).textContent = title;
    var clip = svgEl("clipPath", { id: id + "-clip" }, svgEl("defs", {}, svg));
    svgEl("rect", { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom }, clip);
    svgEl("text", { x: M.left, y: 15, class: "sgd-x-title" }, svg).textContent = title;
    var axes = svgEl("g", { class: "sgd-x-axes", "aria-hidden": "true" }, svg);
    svgEl("rect", { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom,
                    class: "sgd-x-frame" }, axes);
    xt.forEach(function (t) {
      svgEl("line", { x1: sx(t), x2: sx(t), y1: H - M.bottom, y2: H - M.bottom + 4 }, axes);
      svgEl("text", { x: sx(t), y: H - M.bottom + 14, "text-anchor": "middle" }, axes).textContent = fmt(t);
    });
    yt.forEach(function (t) {
      svgEl("line", { x1: M.left - 4, x2: M.left, y1: sy(t), y2: sy(t) }, axes);
      svgEl("text", { x: M.left - 6, y: sy(t) + 3, "text-anchor": "end" }, axes).textContent =
        ytLabel ? ytLabel(t) : fmt(t);
    });
    svgEl("text", { x: (M.left + W - M.right) / 2, y: H - 4, "text-anchor": "middle", class: "sgd-x-label" },
          axes).textContent = xlabel;
    svgEl("text", { x: 11, y: (M.top + H - M.bottom) / 2, "text-anchor": "middle", class: "sgd-x-label",
                    transform: "rotate(-90 11 " + (M.top + H - M.bottom) / 2 + ")" }, axes).textContent = ylabel;
    var plot = svgEl("g", { "clip-path": "url(#" + id + "-clip)" }, svg);
    var note = svgEl("text", { x: W - M.right - 4, y: M.top + 14, "text-anchor": "end",
                               class: "sgd-x-diverged" }, svg);
    return { svg: svg, plot: plot, note: note };
  }

  function points(xs, ys, sx, sy) {
    var out = [];
    for (var i = 0; i < xs.length; i++) {
      if (xs[i] === null || ys[i] === null) break;
      out.push(sx(xs[i]).toFixed(1) + "," + sy(ys[i]).toFixed(1));
    }
    return out.join(" ");
  }

  function Explorer(root) {
    var data = JSON.parse(root.querySelector("script.sgd-explorer-data").textContent);
    var id = "sgd-x" + (++counter);
    var n = data.n, steps = data.steps;
    var runs = {};
    data.runs.forEach(function (r) { runs[r.lr + "|" + r.batch_size + "|" + r.seed] = r; });
    var state = { lr: data.initial.lr, batch: data.initial.batch_size, seed: data.initial.seed, step: 0 };

    var app = htmlEl("div", { class: "sgd-x-app" });
    root.insertBefore(app, root.querySelector("figcaption"));

    // Controls: native range inputs, each with its label and the value it stands for.
    var controls = htmlEl("div", { class: "sgd-x-controls" }, app);
    function slider(key, label, max, text) {
      var box = htmlEl("div", { class: "sgd-x-control" }, controls);
      htmlEl("label", { for: id + "-" + key }, box, label);
      var input = htmlEl("input", { type: "range", id: id + "-" + key, min: 0, max: max, step: 1,
                                    value: state[key] }, box);
      var output = htmlEl("output", { for: id + "-" + key, "aria-hidden": "true" }, box);
      function show() {
        output.textContent = text(state[key]);
        input.setAttribute("aria-valuetext", text(state[key]));
      }
      input.addEventListener("input", function () {
        state[key] = Number(input.value);
        if (key === "step") stop();
        render();
      });
      return { input: input, show: show };
    }
    // A slider with a single position says nothing: there is none for a grid of one batch size,
    // and none for the seed when every batch is the whole data (the seed then plays no part).
    var sliders = [slider("lr", "Learning rate", data.lrs.length - 1, function (i) { return fmt(data.lrs[i]); })];
    if (data.batch_sizes.length > 1) sliders.push(slider("batch", "Batch size", data.batch_sizes.length - 1,
      function (i) { return data.batch_sizes[i] === n ? n + " (all)" : String(data.batch_sizes[i]); }));
    if (data.batch_sizes[0] < n && data.seeds.length > 1) sliders.push(slider("seed", "Seed", data.seeds.length - 1,
      function (i) { return String(data.seeds[i]) + (data.batch_sizes[state.batch] === n ? " (unused)" : ""); }));
    var stepSlider = slider("step", "Step", steps, function (i) { return i + " of " + steps; });
    sliders.push(stepSlider);
    var play = htmlEl("button", { type: "button", class: "sgd-x-play", "aria-controls": id + "-readout" },
                      controls, "Play");
    var readout = htmlEl("p", { class: "sgd-x-readout", id: id + "-readout", "aria-live": "polite" }, app);

    // Views: the data and the line, the loss curve, the path over the contours.
    var views = htmlEl("div", { class: "sgd-x-views" }, app);
    var ymin = Math.min.apply(null, data.y), ymax = Math.max.apply(null, data.y), ypad = (ymax - ymin) * 0.08;
    var dx = scale(-1.08, 1.08, M.left, W - M.right), dy = scale(ymin - ypad, ymax + ypad, H - M.bottom, M.top);
    var fitPanel = panel(views, id + "-fit", "The data and the current line", "x", "y", dx, dy,
                         ticks(-1, 1, 4), ticks(ymin, ymax, 4));
    var dots = data.x.map(function (xi, i) {
      return svgEl("circle", { cx: dx(xi), cy: dy(data.y[i]), r: 2.4, class: "sgd-x-point" }, fitPanel.plot);
    });
    var fitLine = svgEl("line", { class: "sgd-x-line" }, fitPanel.plot);

    var floor = data.contour.floor;
    var lo = Math.log10(floor) - 0.4, hi = Math.log10(Math.max.apply(null, data.contour.levels)) + 0.3;
    var lx = scale(0, steps, M.left, W - M.right), ly = scale(lo, hi, H - M.bottom, M.top);
    var logTicks = [];
    for (var p = Math.ceil(lo); p <= hi; p++) logTicks.push(p);
    var lossPanel = panel(views, id + "-loss", "Loss on all the data", "step", "loss (log scale)", lx,
                          ly, ticks(0, steps, 4), logTicks, function (t) { return fmt(Math.pow(10, t)); });
    var logLoss = function (v) { return v === null ? hi + 1 : Math.log10(v); };
    var batchDots = svgEl("path", { class: "sgd-x-batch-loss" }, lossPanel.plot);
    var lossCurve = svgEl("polyline", { class: "sgd-x-curve" }, lossPanel.plot);
    var lossDone = svgEl("polyline", { class: "sgd-x-curve-done" }, lossPanel.plot);
    var divergedLine = svgEl("line", { class: "sgd-x-diverged-line", y1: M.top, y2: H - M.bottom },
                             lossPanel.plot);
    var cursor = svgEl("line", { class: "sgd-x-cursor", y1: M.top, y2: H - M.bottom }, lossPanel.plot);
    var lossDot = svgEl("circle", { r: 3.5, class: "sgd-x-now" }, lossPanel.plot);

    var v = data.view, c = data.contour;
    var px = scale(v.a1[0], v.a1[1], M.left, W - M.right), py = scale(v.a2[0], v.a2[1], H - M.bottom, M.top);
    var pathPanel = panel(views, id + "-path", "The path over the loss contours", "a\u2081 (slope)",
                          "a\u2082 (intercept)", px, py, ticks(v.a1[0], v.a1[1], 4), ticks(v.a2[0], v.a2[1], 3));
    c.levels.forEach(function (level) {
      var r = Math.sqrt(Math.max(level - floor, 0)), pts = [];
      for (var k = 0; k <= 96; k++) {
        var t = 2 * Math.PI * k / 96, u = Math.cos(t), w = Math.sin(t);
        var a1 = c.center[0] + r * (c.inverse_root[0][0] * u + c.inverse_root[0][1] * w);
        var a2 = c.center[1] + r * (c.inverse_root[1][0] * u + c.inverse_root[1][1] * w);
        pts.push(px(a1).toFixed(1) + "," + py(a2).toFixed(1));
      }
      svgEl("polyline", { points: pts.join(" "), class: "sgd-x-contour" }, pathPanel.plot);
    });
    svgEl("path", { d: "M" + (px(c.center[0]) - 5) + "," + py(c.center[1]) + "h10M" + px(c.center[0]) + "," +
                    (py(c.center[1]) - 5) + "v10", class: "sgd-x-best" }, pathPanel.plot);
    var path = svgEl("polyline", { class: "sgd-x-path" }, pathPanel.plot);
    var pathDot = svgEl("circle", { r: 3.5, class: "sgd-x-now" }, pathPanel.plot);

    // How to read the views, in the cell beside the last one.
    var legend = htmlEl("ul", { class: "sgd-x-legend" }, views);
    [["The line after the current step", '<line x1="0" y1="8" x2="24" y2="8" class="sgd-x-line"/>'],
     ["The examples the current step used", '<circle cx="12" cy="8" r="3.5" class="sgd-x-point sgd-x-used"/>'],
     ["The other examples", '<circle cx="12" cy="8" r="3" class="sgd-x-point"/>'],
     ["Loss on all the data, step by step", '<line x1="0" y1="8" x2="24" y2="8" class="sgd-x-curve-done"/>'],
     ["Loss of each step on its own mini-batch", '<path d="M6,8h0.01M18,8h0.01" class="sgd-x-batch-loss"/>'],
     ["Lines of equal loss, around the best line (+)", '<ellipse cx="12" cy="8" rx="11" ry="6" class="sgd-x-contour"/>'],
     ["The path of the parameters (a\u2081, a\u2082)", '<polyline points="0,12 8,5 16,9 24,4" class="sgd-x-path"/>']
    ].forEach(function (item) {
      var li = htmlEl("li", {}, legend);
      var key = svgEl("svg", { viewBox: "0 0 24 16", "aria-hidden": "true", focusable: "false" }, li);
      key.innerHTML = item[1];
      li.appendChild(document.createTextNode(item[0]));
    });

    function currentRun() {
      var b = data.batch_sizes[state.batch];
      return runs[data.lrs[state.lr] + "|" + b + "|" + (b === n ? null : data.seeds[state.seed])];
    }

    var shownRun = null;
    function render() {
      var run = currentRun(), k = Math.min(state.step, run.a1.length - 1);
      var b = data.batch_sizes[state.batch], a1 = run.a1[k], a2 = run.a2[k];
      sliders.forEach(function (s) { s.show(); });
      var diverged = run.diverged_at !== null && state.step >= run.diverged_at;

      // the data: the line after k steps, and the examples the k-th step used
      var finite = a1 !== null && a2 !== null;
      fitLine.setAttribute("visibility", finite ? "visible" : "hidden");
      if (finite) {
        fitLine.setAttribute("x1", dx(-1.08)); fitLine.setAttribute("y1", dy(a2 - 1.08 * a1));
        fitLine.setAttribute("x2", dx(1.08)); fitLine.setAttribute("y2", dy(a2 + 1.08 * a1));
      }
      var used = {};
      if (b < n && k > 0) data.batches[b][data.seeds[state.seed]][k - 1].forEach(function (i) { used[i] = true; });
      dots.forEach(function (dot, i) { dot.setAttribute("class", used[i] ? "sgd-x-point sgd-x-used" : "sgd-x-point"); });

      // the loss curve: the whole run faint, the steps so far strong, a cursor at step k
      if (run !== shownRun) {
        lossCurve.setAttribute("points", points(run.loss.map(function (_, i) { return i; }),
                                                run.loss.map(logLoss), lx, ly));
        var d = "";
        if (b < n) run.batch_loss.forEach(function (l, i) {
          if (l !== null) d += "M" + lx(i).toFixed(1) + "," + ly(Math.log10(l)).toFixed(1) + "h0.01";
        });
        batchDots.setAttribute("d", d);
        divergedLine.setAttribute("visibility", run.diverged_at === null ? "hidden" : "visible");
        if (run.diverged_at !== null) {
          divergedLine.setAttribute("x1", lx(run.diverged_at)); divergedLine.setAttribute("x2", lx(run.diverged_at));
        }
        shownRun = run;
      }
      var sofar = run.loss.slice(0, k + 1);
      lossDone.setAttribute("points", points(sofar.map(function (_, i) { return i; }), sofar.map(logLoss), lx, ly));
      cursor.setAttribute("x1", lx(state.step)); cursor.setAttribute("x2", lx(state.step));
      lossDot.setAttribute("cx", lx(k)); lossDot.setAttribute("cy", ly(logLoss(run.loss[k])));
      path.setAttribute("points", points(run.a1.slice(0, k + 1), run.a2.slice(0, k + 1), px, py));
      pathDot.setAttribute("visibility", finite ? "visible" : "hidden");
      if (finite) { pathDot.setAttribute("cx", px(a1)); pathDot.setAttribute("cy", py(a2)); }

      var note = diverged ? "diverged at step " + run.diverged_at : "";
      [fitPanel, lossPanel, pathPanel].forEach(function (p) { p.note.textContent = note; });
      root.classList.toggle("sgd-x-is-diverged", diverged);

      var settings = "learning rate " + fmt(data.lrs[state.lr]) + ", batch size " + b +
        (b < n ? ", seed " + data.seeds[state.seed] : " (full batch)");
      readout.textContent = "";
      function field(name, text) { htmlEl("span", { "data-field": name }, readout, text); }
      if (diverged) {
        htmlEl("strong", {}, readout, "Diverged at step " + run.diverged_at + ": ");
        readout.appendChild(document.createTextNode("the loss overflowed to infinity and the run stopped (" +
          settings + "). Last parameters: a\u2081 = "));
      } else {
        readout.appendChild(document.createTextNode("Step "));
        field("step", String(k));
        readout.appendChild(document.createTextNode(" (" + settings + "): loss "));
        field("loss", fmt(run.loss[k]));
        readout.appendChild(document.createTextNode(", a\u2081 = "));
      }
      field("a1", fmt(a1));
      readout.appendChild(document.createTextNode(", a\u2082 = "));
      field("a2", fmt(a2));
      readout.appendChild(document.createTextNode("."));
      readout.setAttribute("data-step", String(state.step));
    }

    // Play and pause: one step every STEP_MS milliseconds, stopping at the last step.
    var timer = null, last = 0;
    function tick(now) {
      if (timer === null) return;
      if (now - last >= STEP_MS) {
        last = now;
        state.step += 1;
        stepSlider.input.value = state.step;
        render();
        if (state.step >= steps) { stop(); return; }
      }
      timer = requestAnimationFrame(tick);
    }
    function start() {
      if (timer !== null) return;
      if (state.step >= steps) { state.step = 0; stepSlider.input.value = 0; render(); }
      play.textContent = "Pause";
      readout.setAttribute("aria-busy", "true");  // announce where it stops, not every step
      last = performance.now();
      timer = requestAnimationFrame(tick);
    }
    function stop() {
      if (timer !== null) cancelAnimationFrame(timer);
      timer = null;
      play.textContent = "Play";
      readout.setAttribute("aria-busy", "false");
    }
    play.addEventListener("click", function () { if (timer === null) start(); else stop(); });

    // Start by itself once, when first seen, unless the reader prefers reduced motion.
    var reduce = window.matchMedia("(prefers-reduced-motion: reduce)");
    if (reduce.addEventListener) reduce.addEventListener("change", function () { if (reduce.matches) stop(); });
    if (!reduce.matches && "IntersectionObserver" in window) {
      var seen = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) {
          seen.disconnect();
          if (!reduce.matches && state.step === 0) start();
        }
      }, { threshold: 0.4 });
      seen.observe(views);
    }
    render();
    var still = root.querySelector(".sgd-explorer-still");
    if (still) still.hidden = true;  // the explorer stands in for the still picture
  }

  function init() {
    document.querySelectorAll("[data-sgd-explorer]").forEach(function (root) {
      try { Explorer(root); } catch (error) {
        // keep the still picture if the explorer cannot be drawn
        var app = root.querySelector(".sgd-x-app");
        if (app) app.remove();
        console.error("sgd explorer:", error);
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

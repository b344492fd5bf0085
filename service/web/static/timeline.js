/*
 * inspectqa judgement timeline: a council's grades over its inspections, one mark per inspection.
 *
 * window.inspectqaTimeline(container, council, options) draws into `container` the data of
 * GET /councils/{name} (`council`): an SVG chart (grade bands from inadequate to outstanding, the
 * overall effectiveness grade of each inspection as a filled mark; a hollow mark where the report
 * has no overall grade, after the April 2026 reform, placed at the impact of leaders grade) and,
 * behind it for screen readers and keyboard users, a table of every inspection's grades. Each mark
 * and each grade in the table links to the citation viewer at the sentence that states it.
 * options.endpoint prefixes the links (the widget runs on other sites). No framework, no styles of
 * its own beyond SVG presentation attributes: it works under a CSP without inline style.
 *
 * On a page, an element with data-inspectqa-council="NAME" gets the chart of that council.
 */
(function (global) {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var LEVELS = ["inadequate", "requires improvement", "good", "outstanding"]; // bottom to top
  var COLOURS = { inadequate: "#b3261e", "requires improvement": "#b26a00", good: "#2e7d32", outstanding: "#1565c0" };
  var AREAS = {
    overall_effectiveness: "Overall effectiveness",
    impact_of_leaders: "Impact of leaders",
    help_and_protection: "Help and protection",
    children_in_care: "Children in care",
    care_leavers: "Care leavers",
    children_in_care_and_care_leavers: "Children in care and care leavers",
    adoption: "Adoption",
    lscb: "Safeguarding children board",
  };

  function family(grade) {
    if (/^requires improvement/.test(grade) || grade === "adequate") return "requires improvement";
    return grade;
  }

  function node(tag, attrs, kids, svg) {
    var el = svg ? document.createElementNS(SVG, tag) : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") el.textContent = attrs[key];
      else el.setAttribute(key, attrs[key]);
    });
    (kids || []).forEach(function (kid) { if (kid) el.append(kid); });
    return el;
  }

  function link(endpoint, row) {
    return (endpoint || "") + row.url + "&quote=" + encodeURIComponent((row.text || "").slice(0, 600)) + "#highlight";
  }

  // The grade an inspection is drawn at: overall effectiveness, else (2026 reform) the leaders' grade.
  function headline(inspection) {
    var rows = inspection.judgements || [];
    var overall = rows.filter(function (r) { return r.area === "overall_effectiveness"; })[0];
    if (overall && LEVELS.indexOf(family(overall.grade)) >= 0) return { row: overall, hollow: false };
    var leaders = rows.filter(function (r) { return r.area === "impact_of_leaders"; })[0];
    if (leaders && LEVELS.indexOf(family(leaders.grade)) >= 0) return { row: leaders, hollow: true };
    return null;
  }

  function chart(council, options) {
    var inspections = council.inspections || [];
    var width = 340, height = 132, left = 92, right = 14, top = 10, bottom = 26;
    var band = (height - top - bottom) / LEVELS.length;
    var step = inspections.length > 1 ? (width - left - right) / (inspections.length - 1) : 0;
    var label = council.local_authority + ": overall effectiveness at each of " + inspections.length + " inspections";
    var svg = node("svg", {
      viewBox: "0 0 " + width + " " + height, width: "100%", role: "group", "aria-label": label,
      class: "timeline-chart", focusable: "false",
    }, [], true);
    LEVELS.forEach(function (level, i) {
      var y = top + (LEVELS.length - 1 - i) * band;
      svg.append(node("rect", { x: left - 4, y: y, width: width - left - right + 8, height: band,
        fill: "currentColor", "fill-opacity": i % 2 ? "0.05" : "0.1" }, [], true));
      svg.append(node("text", { x: left - 8, y: y + band / 2 + 4, "text-anchor": "end", "font-size": "10",
        fill: "currentColor", text: level === "requires improvement" ? "requires impr." : level }, [], true));
    });
    var points = [];
    inspections.forEach(function (inspection, i) {
      var x = inspections.length > 1 ? left + i * step : left + (width - left - right) / 2;
      svg.append(node("text", { x: x, y: height - 8, "text-anchor": "middle", "font-size": "10",
        fill: "currentColor", text: String(inspection.year || "") }, [], true));
      var mark = headline(inspection);
      if (!mark) return;
      var level = LEVELS.indexOf(family(mark.row.grade));
      var y = top + (LEVELS.length - 1 - level) * band + band / 2;
      points.push([x, y, mark.hollow]);
      var colour = COLOURS[family(mark.row.grade)];
      var what = (mark.hollow ? "no overall grade (April 2026 reform); impact of leaders " : "overall effectiveness ") + mark.row.grade;
      var anchor = node("a", { href: link(options.endpoint, mark.row), target: options.target || "_blank",
        rel: "noopener", "aria-label": (inspection.year || "") + " inspection: " + what + ". Opens the sentence that states it.",
        class: "timeline-mark", "data-report": inspection.report_id }, [
        node("title", { text: (inspection.year || "") + " inspection: " + what }, [], true),
        node("circle", { cx: x, cy: y, r: 7, fill: mark.hollow ? "none" : colour, stroke: colour, "stroke-width": 3 }, [], true),
      ], true);
      svg.append(anchor);
    });
    for (var i = 1; i < points.length; i += 1) {
      var line = node("line", { x1: points[i - 1][0], y1: points[i - 1][1], x2: points[i][0], y2: points[i][1],
        stroke: "currentColor", "stroke-opacity": "0.45", "stroke-width": 1.5,
        "stroke-dasharray": points[i][2] || points[i - 1][2] ? "3 3" : "none" }, [], true);
      svg.insertBefore(line, svg.querySelector("a"));
    }
    return svg;
  }

  function table(council, options) {
    var areas = [];
    (council.inspections || []).forEach(function (inspection) {
      (inspection.judgements || []).forEach(function (row) { if (areas.indexOf(row.area) < 0) areas.push(row.area); });
    });
    areas.sort(function (a, b) { return Object.keys(AREAS).indexOf(a) - Object.keys(AREAS).indexOf(b); });
    var head = node("tr", {}, [node("th", { scope: "col", text: "Inspection" })].concat(areas.map(function (area) {
      return node("th", { scope: "col", text: AREAS[area] || area });
    })));
    var rows = (council.inspections || []).map(function (inspection) {
      return node("tr", {}, [node("th", { scope: "row", text: (inspection.year || "") + " (published " + (inspection.publication_date || "?") + ")" })]
        .concat(areas.map(function (area) {
          var row = (inspection.judgements || []).filter(function (r) { return r.area === area; })[0];
          if (!row) return node("td", { text: "—" });
          return node("td", {}, [node("a", { href: link(options.endpoint, row), target: options.target || "_blank", rel: "noopener", text: row.grade })]);
        })));
    });
    return node("table", { class: "timeline-table" }, [
      node("caption", { text: "Judgements of " + council.local_authority + " at each inspection, oldest first" }),
      node("thead", {}, [head]), node("tbody", {}, rows),
    ]);
  }

  function render(container, council, options) {
    options = options || {};
    var figure = node("figure", { class: "timeline" }, [
      node("figcaption", { text: council.local_authority + ": judgements over time" }),
      chart(council, options),
      node("details", { class: "timeline-details" }, [node("summary", { text: "Grades as a table" }), table(council, options)]),
    ]);
    container.replaceChildren(figure);
    return figure;
  }

  global.inspectqaTimeline = render;

  function autoload() {
    var targets = document.querySelectorAll("[data-inspectqa-council]");
    Array.prototype.forEach.call(targets, function (target) {
      var name = target.getAttribute("data-inspectqa-council");
      fetch("/councils/" + encodeURIComponent(name), { headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) throw new Error("HTTP " + response.status); return response.json(); })
        .then(function (council) { render(target, council, { target: "_self" }); })
        .catch(function () { target.textContent = "The judgement timeline could not be loaded."; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoload);
  else autoload();
}(window));

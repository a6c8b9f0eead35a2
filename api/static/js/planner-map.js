// The map of a planner's day: progressive enhancement only. The page works without this file,
// without Leaflet and without map tiles: the timeline and the lists are the page, the map an aid.
// Data comes from data-* attributes of the route lists (no inline script: the CSP forbids it).
(function () {
  "use strict";

  function number(element, name) {
    var value = parseFloat(element.getAttribute(name));
    return isFinite(value) ? value : null;
  }

  function point(element, lat, lon) {
    var a = number(element, lat);
    var b = number(element, lon);
    return a === null || b === null ? null : [a, b];
  }

  // Every map section of the page (the day has one; a proposal has "now" and "proposal"): its
  // data-routes attribute selects the route elements whose [data-lat] children it pins.
  function draw(section, L) {
    var canvas = section.querySelector(".aanhuis-planner-map__canvas");
    if (!canvas) {
      return;
    }
    var routes = Array.prototype.slice.call(
      document.querySelectorAll(
        section.getAttribute("data-routes") || ".aanhuis-planner-route[data-lane]"
      )
    );
    var all = [];
    var drawn = [];
    routes.forEach(function (route) {
      var lane = parseInt(route.getAttribute("data-lane"), 10) % 8;
      var start = point(route, "data-start-lat", "data-start-lon");
      var end = point(route, "data-end-lat", "data-end-lon");
      var stops = Array.prototype.slice.call(route.querySelectorAll("[data-lat]"));
      if (!stops.length) {
        return;
      }
      var line = start ? [start] : [];
      var pins = [];
      stops.forEach(function (row) {
        var where = point(row, "data-lat", "data-lon");
        if (where) {
          line.push(where);
          pins.push({ row: row, where: where });
        }
      });
      if (end) {
        line.push(end);
      }
      all = all.concat(line);
      drawn.push({ lane: lane, line: line, pins: pins, start: start, route: route });
    });
    if (!all.length) {
      return;
    }
    // Shown before the map is made, so Leaflet can measure its size.
    section.hidden = false;
    canvas.setAttribute("role", "region");
    canvas.setAttribute("aria-label", canvas.getAttribute("data-label") || "");
    var map = L.map(canvas, { scrollWheelZoom: false });
    L.tileLayer(section.getAttribute("data-tiles"), {
      maxZoom: 19,
      // The tile server learns the site, never the page's address.
      referrerPolicy: "strict-origin",
      attribution:
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    }).addTo(map);
    drawn.forEach(function (d) {
      var colour = "aanhuis-route--" + d.lane;
      L.polyline(d.line, {
        className: "aanhuis-map-line " + colour,
        interactive: false,
      }).addTo(map);
      if (d.start) {
        L.circleMarker(d.start, {
          className: "aanhuis-map-home",
          radius: 6,
          interactive: false,
        }).addTo(map);
      }
      d.pins.forEach(function (pin) {
        var risk = pin.row.getAttribute("data-risk") === "true";
        var icon = L.divIcon({
          className: "aanhuis-map-pin " + colour + (risk ? " aanhuis-map-pin--risk" : ""),
          html: "<span>" + pin.row.getAttribute("data-number") + "</span>",
          iconSize: [26, 26],
        });
        // Not keyboard stops of their own: the lists are the accessible way to each visit.
        var marker = L.marker(pin.where, { icon: icon, keyboard: false }).addTo(map);
        marker.on("click", function () {
          pin.row.scrollIntoView({ behavior: "smooth", block: "center" });
        });
      });
    });
    map.fitBounds(L.latLngBounds(all), { padding: [24, 24], maxZoom: 15 });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var L = window.L;
    if (!L || typeof L.map !== "function") {
      return; // Leaflet did not load: the sections stay hidden.
    }
    var sections = document.querySelectorAll(".aanhuis-planner-map[data-routes]");
    Array.prototype.forEach.call(sections, function (section) {
      draw(section, L);
    });
  });
})();

// The map of the expert's day: progressive enhancement only. The page works without this file,
// without Leaflet and without map tiles: the list of stops is the page, the map an aid beside it.
// Data comes from the cards' data-* attributes (no inline script: the page's CSP forbids it).
(function () {
  "use strict";

  function coordinate(element, name) {
    var value = parseFloat(element.getAttribute(name));
    return isFinite(value) ? value : null;
  }

  function point(element, lat, lon) {
    var a = coordinate(element, lat);
    var b = coordinate(element, lon);
    return a === null || b === null ? null : [a, b];
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("kaart");
    var canvas = document.getElementById("route-map");
    var L = window.L;
    if (!section || !canvas || !L || typeof L.map !== "function") {
      return; // Leaflet did not load: the section stays hidden, the list stays the page.
    }
    var cards = Array.prototype.slice.call(
      document.querySelectorAll(".aanhuis-expert-stop[data-lat]")
    );
    var start = point(section, "data-start-lat", "data-start-lon");
    var end = point(section, "data-end-lat", "data-end-lon");
    var line = [];
    if (start) {
      line.push(start);
    }
    var stops = [];
    cards.forEach(function (card) {
      var where = point(card, "data-lat", "data-lon");
      if (where) {
        line.push(where);
        stops.push({ card: card, where: where });
      }
    });
    if (!stops.length) {
      return;
    }
    if (end) {
      line.push(end);
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
    L.polyline(line, { className: "aanhuis-expert-line", interactive: false }).addTo(map);
    if (start) {
      L.circleMarker(start, {
        className: "aanhuis-expert-home",
        radius: 7,
        interactive: false,
      }).addTo(map);
    }
    stops.forEach(function (stop) {
      var done = stop.card.getAttribute("data-done") === "true";
      var atRisk = stop.card.classList.contains("aanhuis-expert-stop--at-risk");
      var icon = L.divIcon({
        className:
          "aanhuis-expert-pin" +
          (done ? " aanhuis-expert-pin--done" : "") +
          (atRisk ? " aanhuis-expert-pin--at-risk" : ""),
        html: "<span>" + stop.card.getAttribute("data-number") + "</span>",
        iconSize: [34, 34],
      });
      // Not keyboard stops of their own: the cards above are the accessible way to each visit.
      var marker = L.marker(stop.where, { icon: icon, keyboard: false }).addTo(map);
      marker.on("click", function () {
        stop.card.scrollIntoView({ behavior: "smooth", block: "start" });
      });
    });
    map.fitBounds(L.latLngBounds(line), { padding: [28, 28], maxZoom: 16 });
  });
})();

/* Shared map set-up for /lapor and /t/{id}: Leaflet (vendored, /static/vendor/leaflet) with the
   configured tiles, if any, and the kelurahan outlines from /api/v1/wilayah.geojson underneath,
   so a map without tiles (none configured, or the tile server not answering) still shows where
   things are. The settings come from the map element's data-* attributes (web.map in config). */
(function () {
  "use strict";

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  function number(el, name, fallback) {
    var v = parseFloat(el.getAttribute(name));
    return isFinite(v) ? v : fallback;
  }

  /* A Leaflet map in ``el``; null when Leaflet did not load (the page works without it). */
  function create(el, options) {
    if (!el || typeof L === "undefined") { return null; }
    var maxZoom = number(el, "data-max-zoom", 19);
    var map = L.map(el, Object.assign({
      center: [number(el, "data-lat", -6.2088), number(el, "data-lon", 106.8456)],
      zoom: number(el, "data-zoom", 11),
      maxZoom: maxZoom
    }, options || {}));
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, {
        maxZoom: maxZoom,
        subdomains: el.getAttribute("data-subdomains") || "abc",
        attribution: escapeHtml(el.getAttribute("data-attribution") || ""),
        // Tile servers (OSM's policy) want a Referer; the pages' own policy sends none off-site. The
        // origin alone: never the path, which on /t/{id} names the report.
        referrerPolicy: "strict-origin"
      }).addTo(map);
    }
    return map;
  }

  /* Draw the kelurahan outlines; ``done(layersByCode)`` once they are on the map. */
  function outlines(map, url, done) {
    var byCode = {};
    fetch(url, {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    }).then(function (data) {
      L.geoJSON(data, {
        interactive: false,
        style: {className: "kel-outline", color: "#5b6b7a", weight: 1, opacity: 0.7, fill: true, fillOpacity: 0.04},
        onEachFeature: function (feature, layer) { byCode[feature.properties.code] = layer; }
      }).addTo(map);
      if (done) { done(byCode); }
    }).catch(function () { if (done) { done(byCode); } });
  }

  window.AduanMap = {create: create, outlines: outlines};
})();

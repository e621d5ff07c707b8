/* /t/{id}: a small, still map of the report's rounded location (a circle of about 100 m, never a
   pin on the exact point: the page only ever has the rounded coordinates). The text above it says
   the same for readers without JavaScript or without tiles. */
(function () {
  "use strict";
  var el = document.getElementById("ticket-map");
  if (!el || !window.AduanMap || typeof L === "undefined") { return; }
  var map = window.AduanMap.create(el, {
    dragging: false, touchZoom: false, scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false,
    keyboard: false, zoomControl: false, tap: false
  });
  el.removeAttribute("tabindex");  // nothing to do on it with a keyboard: the text says where it is
  var centre = [parseFloat(el.getAttribute("data-lat")), parseFloat(el.getAttribute("data-lon"))];
  L.circle(centre, {radius: parseFloat(el.getAttribute("data-radius")) || 100, interactive: false,
                    className: "ticket-circle", color: "#0b5cad", weight: 2, fillOpacity: 0.2}).addTo(map);
  window.AduanMap.outlines(map, el.getAttribute("data-outlines"));
})();

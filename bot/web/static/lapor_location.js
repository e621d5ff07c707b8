/* /lapor's location: "Gunakan lokasi saya", the map with a movable pin, and the kelurahan found for
   the point (GET /api/v1/lokasi: the same routing a filed report gets). A progressive enhancement:
   without JavaScript, or without Leaflet or tiles, the kelurahan <select> and the address remain.

   After every change of the point, of the kelurahan or of the description (the category is read from
   it), a DOM event on document:
     new CustomEvent("aduan:location", {detail: {lat, lon, area_code}})
   (lat/lon are numbers or null; area_code a kelurahan code or null) for other parts of the page. */
(function () {
  "use strict";
  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  var found = document.getElementById("map-area");
  var select = document.getElementById("kelurahan");
  var geoButton = document.getElementById("geo-btn");
  var geoStatus = document.getElementById("geo-status");
  if (!latInput || !lonInput || !found) { return; }

  var map = null, marker = null, outlines = {}, highlighted = null;
  var lookups = 0, timer = null, selectedByPin = false, areaCode = select && select.value ? select.value : null;

  function fill(template, fields) {
    return (template || "").replace(/\{(\w+)\}/g, function (m, key) { return fields[key] == null ? "" : fields[key]; });
  }

  function point() {
    var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
    return isFinite(lat) && isFinite(lon) ? {lat: lat, lon: lon} : null;
  }

  function announce(code) {
    areaCode = code || null;
    var p = point();
    document.dispatchEvent(new CustomEvent("aduan:location", {
      detail: {lat: p ? p.lat : null, lon: p ? p.lon : null, area_code: areaCode}
    }));
  }

  function highlight(code) {
    if (highlighted) { highlighted.setStyle({weight: 1, color: "#5b6b7a", fillOpacity: 0.04}); }
    highlighted = code && outlines[code] ? outlines[code] : null;
    if (highlighted) { highlighted.setStyle({weight: 3, color: "#0b5cad", fillOpacity: 0.12}); }
  }

  function choose(code) {
    if (!select) { return; }
    var has = code && Array.prototype.some.call(select.options, function (o) { return o.value === code; });
    if (has) {
      select.value = code;
      selectedByPin = true;
    } else if (selectedByPin) {
      select.value = "";  // the pin left the kelurahan it had chosen: do not keep a wrong one
      selectedByPin = false;
    }
  }

  function show(body) {
    var area = body && body.area;
    if (area) {
      found.textContent = fill(found.getAttribute(body.approximate ? "data-approx" : "data-found"),
                               {name: area.name, kecamatan: area.kecamatan, kota: area.kota});
    } else {
      found.textContent = found.getAttribute("data-outside");
    }
    choose(area ? area.code : null);
    highlight(area ? area.code : null);
    announce(area ? area.code : null);
  }

  function lookUp() {
    var p = point();
    if (!p) { return; }
    var mine = ++lookups;
    found.textContent = found.getAttribute("data-wait");
    fetch(found.getAttribute("data-locate") + "?lat=" + encodeURIComponent(latInput.value) + "&lon=" +
          encodeURIComponent(lonInput.value), {credentials: "same-origin", headers: {accept: "application/json"}})
      .then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(function (body) { if (mine === lookups) { show(body); } })
      .catch(function () {
        if (mine !== lookups) { return; }
        found.textContent = found.getAttribute("data-fail");
        announce(select && select.value ? select.value : null);
      });
  }

  function setPoint(lat, lon, centre) {
    lat = Math.max(-90, Math.min(90, lat));
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    if (geoStatus && geoButton) {
      geoStatus.textContent = geoButton.getAttribute("data-ok") + " (" + latInput.value + ", " + lonInput.value + ")";
    }
    if (map) {
      var at = L.latLng(lat, lon);
      if (marker) {
        marker.setLatLng(at);
      } else {
        var el = map.getContainer();
        marker = L.marker(at, {draggable: true, autoPan: true, title: el.getAttribute("data-pin-title"),
                               alt: el.getAttribute("data-pin-title")}).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng().wrap();
          setPoint(p.lat, p.lng, false);
        });
      }
      if (centre) { map.setView(at, Math.max(map.getZoom(), 16)); }
    }
    clearTimeout(timer);
    timer = setTimeout(lookUp, 150);  // one lookup for a burst of moves
  }

  if (geoButton && navigator.geolocation) {
    geoButton.hidden = false;
    geoButton.addEventListener("click", function () {
      geoStatus.textContent = geoButton.getAttribute("data-wait");
      navigator.geolocation.getCurrentPosition(function (p) {
        setPoint(p.coords.latitude, p.coords.longitude, true);
      }, function () { geoStatus.textContent = geoButton.getAttribute("data-fail"); },
      {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }

  if (select) {
    select.addEventListener("change", function () {
      selectedByPin = false;
      highlight(select.value);
      if (map && highlighted) { map.fitBounds(highlighted.getBounds(), {maxZoom: 16}); }
      announce(select.value);
    });
  }

  var description = document.getElementById("description");
  if (description) {
    description.addEventListener("change", function () { announce(areaCode); });
  }

  var el = document.getElementById("lapor-map");
  if (el && window.AduanMap && typeof L !== "undefined") {
    document.getElementById("map-block").hidden = false;  // shown before Leaflet measures it
    map = window.AduanMap.create(el);
  }
  if (map) {
    map.on("click", function (e) {
      var p = e.latlng.wrap();
      setPoint(p.lat, p.lng, false);
    });
    window.AduanMap.outlines(map, el.getAttribute("data-outlines"), function (byCode) {
      outlines = byCode;
      highlight(select && select.value ? select.value : null);
    });
  }
  var start = point();
  if (start) { setPoint(start.lat, start.lon, true); }  // the form shown again (errors) keeps its pin
})();

/* /lapor: open reports near the citizen's point, before they file a new one (issue 15).
 *
 * Asks GET /api/v1/sekitar whenever the point changes: the map's "aduan:location" event, a change of the
 * hidden #lat/#lon inputs (the "use my location" button fires it), and, a moment after typing stops, the
 * description (it decides the category). Each report gets a button "Ini laporan yang sama": it sets the
 * hidden field "follow" and posts the form as "follow that report" (no new ticket). Texts come from data-* attributes (bot/web/messages.yaml);
 * everything is inserted as text, never as HTML.
 */
(function () {
  "use strict";
  var box = document.getElementById("nearby");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var text = document.getElementById("description");
  if (!box || !lat || !lon || !window.fetch || !document.getElementById("follow")) { return; }
  var list = document.getElementById("nearby-list");
  var follow = document.getElementById("follow");
  var form = box.closest("form");
  var none = document.getElementById("nearby-none");
  var asked = "";
  var timer = null;

  function el(tag, cls, content) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (content) { e.textContent = content; }
    return e;
  }

  function render(data) {
    list.textContent = "";
    box.hidden = false;
    none.hidden = data.reports.length > 0;
    data.reports.forEach(function (r) {
      var item = el("li", "nearby-item");
      var head = el("p", "nearby-head");
      var link = el("a", "tracking-id", r.tracking_id);
      link.href = "/t/" + encodeURIComponent(r.tracking_id);
      link.target = "_blank";
      head.appendChild(link);
      head.appendChild(document.createTextNode(" \u00b7 " + r.category.name + " \u00b7 " + r.status_label + " \u00b7 " +
        box.getAttribute("data-distance").replace("{m}", String(r.distance_m)) +
        (r.created_at ? " \u00b7 " + r.created_at.slice(0, 10) : "")));
      item.appendChild(head);
      if (r.description) { item.appendChild(el("p", "nearby-text", r.description.slice(0, 280))); }
      // type=button and a hidden field, not a second submit button: Enter in a text field must still file
      // the citizen's own report (the form's default button is its first submit button).
      var same = el("button", "button nearby-same", box.getAttribute("data-same"));
      same.type = "button";
      same.setAttribute("data-follow", r.tracking_id);
      same.addEventListener("click", function () {
        follow.value = r.tracking_id;
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      });
      item.appendChild(same);
      list.appendChild(item);
    });
  }

  function ask() {
    if (!lat.value || !lon.value) { return; }
    var query = "lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value) +
      "&teks=" + encodeURIComponent((text && text.value || "").slice(0, 4000)) +
      "&lang=" + encodeURIComponent(document.documentElement.lang || "id");
    if (query === asked) { return; }
    asked = query;
    fetch("/api/v1/sekitar?" + query, {headers: {accept: "application/json"}, credentials: "same-origin"})
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) { if (data && query === asked) { render(data); } })
      .catch(function () { /* no list: the form works without it */ });
  }

  document.addEventListener("aduan:location", function (ev) {
    var d = ev.detail || {};
    if (typeof d.lat === "number" && typeof d.lon === "number") {
      lat.value = d.lat.toFixed(6);
      lon.value = d.lon.toFixed(6);
    }
    ask();
  });
  lat.addEventListener("change", ask);
  lon.addEventListener("change", ask);
  if (text) {
    text.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 600);
    });
  }
  ask();  // a point already set (the form shown again after an error)
})();

/*
 * carte.js — turns the server-drawn map of /carte into an interactive
 * Leaflet map when JavaScript runs. Without JavaScript, or if anything here
 * fails, the SVG drawn by the server stays: it is only hidden once the data
 * has loaded and the Leaflet map is built.
 *
 * The element #carte gives: data-api, the GeoJSON (WGS84) of the layers with
 * a "layer" and a "class" property per feature; data-tiles, a tile URL
 * template ("" = no background, vector layers only); data-attribution, its
 * credit; data-label, the map's name (optional). Paths get the same CSS
 * classes as the SVG (guichet.css), so both maps look alike. Text from the
 * data is set with textContent, never as HTML.
 *
 * Layers: "commune", "zone", "network" (the public map and the operators'),
 * "requests" (the public map: a count per commune) and "request" (the
 * operators' map, /operateur/demandes/carte: one point per request with its
 * title and the address of its page). The view fits the points and the
 * highlighted networks ("courant") when there are any, else everything.
 */
(function () {
  "use strict";
  var el = document.getElementById("carte");
  if (!el || !window.L || !window.fetch) return;

  function esc(s) {
    var d = document.createElement("div");
    d.textContent = s;
    return d.innerHTML;
  }

  /* A popup's content: lines of "label: value", built as DOM nodes. */
  function card(title, rows) {
    var box = document.createElement("div");
    var h = document.createElement("strong");
    h.textContent = title;
    box.appendChild(h);
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") return;
      var p = document.createElement("div");
      p.textContent = r[0] + " : " + r[1];
      box.appendChild(p);
    });
    return box;
  }

  var holder = null;

  function build(data) {
    holder = document.createElement("div");
    holder.className = "carte-leaflet";
    holder.setAttribute("role", "region");
    holder.setAttribute("aria-label", el.getAttribute("data-label") || "Carte interactive des réseaux de chaleur");
    el.appendChild(holder);
    var map = L.map(holder, { scrollWheelZoom: false });
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: esc(el.getAttribute("data-attribution") || "") }).addTo(map);
    }
    function only(name) {
      return { features: data.features.filter(function (f) { return f.properties.layer === name; }), type: "FeatureCollection" };
    }
    var style = function (f) { return { className: f.properties["class"] }; };
    var communes = L.geoJSON(only("commune"), {
      style: style,
      onEachFeature: function (f, layer) { if (f.properties.name) layer.bindTooltip(f.properties.name); }
    });
    var zones = L.geoJSON(only("zone"), {
      style: style,
      onEachFeature: function (f, layer) {
        layer.bindTooltip("Zone de développement prioritaire" + (f.properties.network ? " du réseau " + f.properties.network : ""));
      }
    });
    var networks = L.geoJSON(only("network"), {
      style: style,
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(card((p.name || "Réseau") + " (" + (p.id || "?") + ")", [
          ["Exploitant", p.operator],
          ["Type", p.kind === "cold" ? "froid" : "chaleur"],
          ["Raccordements", p.open ? "ouvert" : "fermé"],
          ["Contenu CO2 (g/kWh)", p.co2_g_kwh === null ? "" : Math.round(p.co2_g_kwh)],
          ["EnR&R (%)", p.renewable_pct]
        ]));
      }
    });
    var requests = L.geoJSON(only("requests"), {
      pointToLayer: function (f, latlng) {
        var n = f.properties.requests;
        var m = L.circleMarker(latlng, { radius: 5 + 3 * Math.sqrt(n), className: "demandes-cercle" });
        m.bindTooltip(String(n), { permanent: true, direction: "center", className: "demandes-nombre" });
        m.bindPopup(card(f.properties.commune, [["Demandes de raccordement", n]]));
        return m;
      }
    });
    var points = L.geoJSON(only("request"), {
      pointToLayer: function (f, latlng) {
        var p = f.properties;
        var m = L.circleMarker(latlng, { radius: 6, className: p["class"] });
        m.bindTooltip(p.title);
        if (typeof p.href === "string" && /^\/[^\/]/.test(p.href)) {
          m.on("click", function () { window.location.href = p.href; });
        }
        return m;
      }
    });
    /* The base layers always; the requests' layers when the data has them. */
    var named = [["Communes", communes, 1], ["Zones prioritaires", zones, 1], ["Réseaux", networks, 1],
                 ["Demandes par commune", requests, 0], ["Demandes", points, 0]];
    var overlays = {};
    named.forEach(function (x) {
      if (x[2] || x[1].getLayers().length) { x[1].addTo(map); overlays[x[0]] = x[1]; }
    });
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    var b = L.latLngBounds([]);
    points.eachLayer(function (l) { b.extend(l.getLatLng()); });
    networks.eachLayer(function (l) {
      if (/\bcourant\b/.test(l.feature.properties["class"] || "")) b.extend(l.getBounds());
    });
    if (!b.isValid()) b = L.featureGroup([communes, zones, networks, requests]).getBounds();
    if (b.isValid()) map.fitBounds(b, { padding: [10, 10], maxZoom: 16 });
    else map.setView([46.6, 2.4], 6);
    var svg = el.querySelector("svg");
    if (svg) svg.style.display = "none";
  }

  fetch(el.getAttribute("data-api"), { headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(build)
    .catch(function (e) {
      if (holder && holder.parentNode) holder.parentNode.removeChild(holder); /* the SVG stays */
      var svg = el.querySelector("svg");
      if (svg) svg.style.display = "";
      if (window.console) console.warn("carte : la carte interactive n’a pas pu être chargée", e);
    });
})();

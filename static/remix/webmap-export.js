// GeoPackage export from the planners' map: the layers switched on, cut to the selection or the map extent,
// through the exports API (POST /api/esportazioni/); background jobs are polled until their file is ready.
import { getJSON } from "./http.js";

// The request body: layers, and the area as the API names it (comune / zona / bbox in lon/lat).
function requestBody(slugs, state, map) {
  const body = new URLSearchParams();
  slugs.forEach(function (s) { body.append("layers", s); });
  const area = document.querySelector('input[name="gpkg-area"]:checked').value;
  if (area === "bbox") {
    body.set("area_kind", "bbox"); body.set("bbox", map.getBounds().toBBoxString()); body.set("bbox_crs", "EPSG:4326");
  } else if (state.comune) {
    body.set("area_kind", "comune"); body.set("comune", state.comune);
  } else if (state.zona) {
    body.set("area_kind", "zona"); body.set("zona", state.zona);
  }
  return body;
}

function show(job, T) {
  const box = document.getElementById("gpkg-box"), bar = document.getElementById("gpkg-progress");
  const status = document.getElementById("gpkg-status"), link = document.getElementById("gpkg-download");
  box.dataset.status = job.status;
  if (job.status === "done") {
    bar.hidden = true; link.href = job.download_url; link.hidden = false;
    status.textContent = T.gpkg_done.replace("%(n)s", job.features_total).replace("%(area)s", job.area || T.whole_cmm);
    return;
  }
  if (job.status === "failed") { bar.hidden = true; status.textContent = T.error + ": " + job.message; return; }
  bar.hidden = false;
  bar.value = job.features_total ? Math.round(100 * job.features_done / job.features_total) : 0;
  status.textContent = T.gpkg_running.replace("%(done)s", job.features_done).replace("%(total)s", job.features_total);
}

function poll(url, T) {
  getJSON(url).then(function (job) {
    show(job, T);
    if (job.status === "queued" || job.status === "running") { setTimeout(function () { poll(url, T); }, 1000); }
  }).catch(function (err) { show({ status: "failed", message: err.message }, T); });
}

export function start(slugs, state, map, T) {
  const box = document.getElementById("gpkg-box"), link = document.getElementById("gpkg-download");
  link.hidden = true; link.removeAttribute("href");
  if (!slugs.length) { show({ status: "failed", message: T.gpkg_no_layers }, T); return; }
  show({ status: "queued", features_done: 0, features_total: 0 }, T);
  getJSON(box.dataset.api, { method: "POST", body: requestBody(slugs, state, map) })  // with the CSRF token
    .then(function (job) {
      show(job, T);
      if (job.status !== "done" && job.status !== "failed") { poll(job.status_url, T); }
    }).catch(function (err) { show({ status: "failed", message: err.message }, T); });
}


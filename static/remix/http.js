// The one way Remix's pages ask the server for JSON: the page's language, a clear error for every
// failure (an HTTP error with the server's own message, a page that is not JSON, no network), and the
// activity the planners' map counts for its idle signal (static/remix/webmap.js).

export class RequestError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = "RequestError";
    this.status = status;  // 0 when the server was not reached
    this.body = body;  // the parsed error body, when there was one
  }
}

const listeners = new Set();

// fn(+1) when a request starts; fn(-1) once its body is read and the caller's own continuation has run
// (a macrotask later), so whatever the answer starts (tiles, more requests) is counted before it ends.
export function onActivity(fn) {
  listeners.add(fn);
  return function () { listeners.delete(fn); };
}

function activity(delta) { listeners.forEach(function (fn) { fn(delta); }); }

export function pageLang() { return document.documentElement.lang || "it"; }

// The URL with the page's language (the JSON APIs translate their labels and errors), unless it has one.
export function withLang(url) {
  const u = new URL(url, location.href);
  if (!u.searchParams.has("lang")) { u.searchParams.set("lang", pageLang()); }
  return u.origin === location.origin ? u.pathname + u.search + u.hash : u.href;
}

// Django's CSRF token of the page (every form rendered with {% csrf_token %} carries the same one).
export function csrfToken() {
  const input = document.querySelector('input[name="csrfmiddlewaretoken"]');
  return input ? input.value : "";
}

function errorMessage(response, body) {
  if (body && typeof body === "object") {
    if (typeof body.error === "string" && body.error) { return body.error; }
    if (typeof body.detail === "string" && body.detail) { return body.detail; }
    if (typeof body.description === "string" && body.description) { return body.description; }
  }
  return String(response.status) + (response.statusText ? " " + response.statusText : "");
}

// Answers of GET requests made with { reuse: true }: the same URL asked again (while in flight, or since
// the last forget() and within REUSE_MS) gets the same answer instead of a second request. The map
// forgets them whenever its selection or filters change and after any change it sends.
const REUSE_MS = 60000;
const reused = new Map();  // url -> { promise, at }

export function forget() { reused.clear(); }

// getJSON(url, options) → the parsed body, or a rejected RequestError.
// options: method ("GET"), body (a plain object is sent as JSON; URLSearchParams / FormData as they are),
// headers, accept ("application/json"), lang (true: add the page's language), reuse (see above), signal.
export function getJSON(url, options) {
  const o = options || {};
  if (o.reuse && !o.body && (!o.method || o.method === "GET")) {
    const key = (o.lang === false ? url : withLang(url)) + "\n" + (o.accept || "");
    const hit = reused.get(key);
    if (hit && Date.now() - hit.at < REUSE_MS) {  // still counted as activity: what follows it ends in an idle signal
      activity(1);
      hit.promise.catch(function () {}).finally(function () { setTimeout(function () { activity(-1); }, 0); });
      return hit.promise;
    }
    const promise = request(url, o);
    reused.set(key, { promise: promise, at: Date.now() });
    promise.catch(function () { if (reused.get(key) && reused.get(key).promise === promise) { reused.delete(key); } });
    return promise;
  }
  if (o.body !== undefined || (o.method && o.method !== "GET")) { forget(); }  // a change: answers may differ now
  return request(url, o);
}

function request(url, o) {
  const headers = Object.assign({ Accept: o.accept || "application/json" }, o.headers || {});
  const init = { method: o.method || "GET", headers: headers, credentials: "same-origin", signal: o.signal };
  if (o.body !== undefined) {
    const plain = o.body !== null && typeof o.body === "object" && !(o.body instanceof URLSearchParams) &&
      !(o.body instanceof FormData) && !(o.body instanceof Blob);
    init.body = plain ? JSON.stringify(o.body) : o.body;
    if (plain) { headers["Content-Type"] = "application/json"; }
    if (init.method === "GET") { init.method = "POST"; }
  }
  if (init.method !== "GET" && init.method !== "HEAD" && !headers["X-CSRFToken"]) { headers["X-CSRFToken"] = csrfToken(); }
  const target = o.lang === false ? url : withLang(url);
  activity(1);
  return fetch(target, init).catch(function (err) {
    if (err && err.name === "AbortError") { throw err; }
    throw new RequestError(err && err.message ? err.message : "network error", 0, null);
  }).then(function (response) {
    return response.text().then(function (text) {
      let body = null, parsed = false;
      if (text) {
        try { body = JSON.parse(text); parsed = true; } catch (e) { parsed = false; }
      }
      if (!response.ok) { throw new RequestError(errorMessage(response, body), response.status, body); }
      if (!parsed) {
        throw new RequestError(String(response.status) + " — not JSON: " + (response.headers.get("Content-Type") || "empty"),
          response.status, null);
      }
      return body;
    });
  }).finally(function () { setTimeout(function () { activity(-1); }, 0); });
}

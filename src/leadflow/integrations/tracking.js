/* leadflow tracking script: page views and visitor identification, first-party, no
   dependencies. Install on every page of the site:
     <script async src="LEADFLOW-ADDRESS/t.js" data-company="COMPANY-KEY"></script>
   API: leadflow.page(), leadflow.identify(email, traits), leadflow.track(type, properties).
   See docs/forms-and-tracking.md. */
(function (window, document, navigator) {
  "use strict";
  var queued = window.leadflow;
  if (queued && queued.loaded) { return; }

  var COOKIE = "lf_vid";
  var TWO_YEARS = 63072000; // seconds
  var VALID_ID = /^[A-Za-z0-9._:-]{1,100}$/;

  function findScript() {
    if (document.currentScript) { return document.currentScript; }
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/t\.js([?#]|$)/.test(scripts[i].src || "")) { return scripts[i]; }
    }
    return null;
  }

  function attribute(element, name) {
    return (element && element.getAttribute(name)) || "";
  }

  function param(url, name) {
    var match = new RegExp("[?&]" + name + "=([^&#]*)").exec(url);
    return match ? decodeURIComponent(match[1].replace(/\+/g, " ")) : "";
  }

  var script = findScript();
  var src = (script && script.src) || "";
  // The script's own address tells where leadflow is, so one file serves every installation.
  var base = src.replace(/\/t\.js([?#].*)?$/, "");
  var company = attribute(script, "data-company") || param(src, "c");
  var endpoint = base + "/t/collect";
  var optedOut = attribute(script, "data-respect-dnt") !== "" &&
    (navigator.doNotTrack === "1" || navigator.globalPrivacyControl === true);

  function randomId() {
    var crypto = window.crypto;
    if (crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    var i;
    if (crypto && crypto.getRandomValues) {
      crypto.getRandomValues(bytes);
    } else {
      for (i = 0; i < 16; i++) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    var hex = "";
    for (i = 0; i < 16; i++) { hex += (bytes[i] + 256).toString(16).slice(1); }
    return hex;
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var pair = parts[i].replace(/^\s+/, "");
      if (pair.indexOf(name + "=") === 0) { return pair.slice(name.length + 1); }
    }
    return "";
  }

  function visitorId() {
    var id = readCookie(COOKIE);
    if (!VALID_ID.test(id)) { id = randomId(); }
    // Written on every page view, so the two years count from the latest visit.
    var domain = attribute(script, "data-cookie-domain");
    document.cookie = COOKIE + "=" + id + "; Max-Age=" + TWO_YEARS + "; Path=/; SameSite=Lax" +
      (domain ? "; Domain=" + domain : "") +
      (window.location.protocol === "https:" ? "; Secure" : "");
    return id;
  }

  var vid = optedOut ? null : visitorId();

  function send(message) {
    if (!vid || !base) { return; }
    if (company) { message.company = company; }
    message.visitor_id = vid;
    var body = JSON.stringify(message);
    // A string is sent as text/plain, a "simple" request: no CORS preflight, and the beacon
    // still leaves when the visitor is navigating away.
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) { return; }
    } catch (ignored) { /* fall back to fetch */ }
    if (window.fetch) {
      window.fetch(endpoint, {
        method: "POST", body: body, keepalive: true, credentials: "omit",
        headers: { "Content-Type": "text/plain;charset=UTF-8" }
      })["catch"](function () { /* tracking never disturbs the page */ });
    }
  }

  function page() {
    send({
      type: "page", url: window.location.href,
      referrer: document.referrer || undefined, title: document.title || undefined
    });
  }

  function identify(email, traits) {
    if (!email) { return; }
    send({ type: "identify", email: String(email), traits: traits || {} });
  }

  function track(type, properties) {
    if (!type) { return; }
    send({ type: "track", event: String(type), url: window.location.href,
           properties: properties || {} });
  }

  // Forms posting to this leadflow carry the visitor id, so the submission claims the visits.
  function tagForm(event) {
    var form = event.target;
    var action = form && typeof form.action === "string" ? form.action : "";
    if (!vid || !base || action.indexOf(base + "/f/") !== 0) { return; }
    var input = form.querySelector("input[name='" + COOKIE + "']");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = COOKIE;
      form.appendChild(input);
    }
    input.value = vid;
  }

  document.addEventListener("submit", tagForm, true);

  var api = { loaded: true, visitorId: vid, page: page, identify: identify, track: track };
  window.leadflow = api;
  if (attribute(script, "data-auto") !== "false") { page(); }
  // Calls made before the script arrived: window.leadflow = [["identify", "ana@acme.com"]].
  if (queued && queued.length) {
    for (var i = 0; i < queued.length; i++) {
      var call = queued[i];
      if (call && typeof api[call[0]] === "function") { api[call[0]].apply(null, call.slice(1)); }
    }
  }
}(window, document, navigator));

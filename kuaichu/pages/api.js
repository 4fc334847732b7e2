// The API as any client uses it: same origin, problem+json errors, Idempotency-Key on retried creations.
// The driver's credential is an HttpOnly cookie the page never sees; state-changing calls carry the
// anti-forgery token the session endpoints return. Until the service hands out the cookie, the session
// token is kept in this module's memory only (gone on reload: the driver logs in again, and every report
// of the phone comes back with it).
import { L, lang, pick } from "./i18n.js";

// Anti-forgery tokens of this browser's cookie sessions: the driver's own, and the other party's when they
// confirm on this phone (one-phone mode: their own session, chosen per request with X-Acting-As).
const csrf = { driver: null, "second-party": null };
let acting = "driver";
let bearer = null;

export function signedIn() { return Boolean(csrf.driver || bearer); }
export function secondSignedIn() { return Boolean(csrf["second-party"]); }
export function actingAs() { return acting; }
export function actAs(who) { acting = who === "second-party" ? "second-party" : "driver"; }

// Headers for a plain fetch of a file (a photo, the agreement PDF) with this page's credential.
export function authHeaders() {
  if (acting === "second-party") return { "X-Acting-As": "second-party" };
  return bearer ? { Authorization: "Bearer " + bearer } : {};
}

export function forget(who) {
  if (who === "second-party") { csrf["second-party"] = null; acting = "driver"; return; }
  csrf.driver = null; csrf["second-party"] = null; bearer = null; acting = "driver";
}

// The cookie sessions this browser already has (after a reload or in a new tab).
export async function resume() {
  const r = await call("GET", "/v1/auth/browser-session", undefined, { "X-Acting-As": "driver" });
  if (r.ok && r.data) csrf.driver = r.data.csrf_token;
  if (r.ok) {
    const s = await call("GET", "/v1/auth/browser-session", undefined, { "X-Acting-As": "second-party" });
    csrf["second-party"] = s.ok && s.data ? s.data.csrf_token : null;
    if (!csrf["second-party"] && acting === "second-party") acting = "driver";
  }
  return r.ok;
}

// Log in with phone and texted code: a cookie session where the service offers one, else a bearer token
// held in this module's memory only.
export async function signIn(phone, code) {
  const r = await call("POST", "/v1/auth/browser-session", { phone, code }, { "X-Acting-As": "driver" });
  if (r.ok) { csrf.driver = r.data.csrf_token; return r; }
  if (r.status !== 404 && r.status !== 405) return r;
  const t = await call("POST", "/v1/auth/session", { phone, code });
  if (t.ok) bearer = t.data.session_token;
  return t;
}

// One-phone mode: the other driver proves their own phone on this one.
export async function signInSecond(phone, code) {
  const r = await call("POST", "/v1/auth/browser-session/second-party", { phone, code }, { "X-Acting-As": "driver" });
  if (r.ok) csrf["second-party"] = r.data.csrf_token;
  return r;
}

function headers(method, extra, json) {
  const h = { "Accept-Language": lang() === "en" ? "en" : "zh-CN", Accept: "application/json" };
  if (json) h["Content-Type"] = "application/json";
  const who = (extra && extra["X-Acting-As"]) || acting;
  if (who === "second-party") h["X-Acting-As"] = "second-party";
  else if (bearer) h.Authorization = "Bearer " + bearer;
  if (csrf[who] && method !== "GET" && method !== "HEAD") h["X-CSRF-Token"] = csrf[who];
  const rest = Object.assign({}, extra || {});
  if (rest["X-Acting-As"] === "driver") delete rest["X-Acting-As"];
  return Object.assign(h, rest);
}

// {ok, status, data, headers}; a network failure is {ok:false, status:0, offline:true}.
export async function call(method, path, body, extra) {
  const json = body !== undefined && !(body instanceof Blob) && !(body instanceof FormData);
  let r;
  try {
    r = await fetch(path, {
      method, credentials: "same-origin", referrerPolicy: "no-referrer", cache: "no-store",
      headers: headers(method, extra, json), body: body === undefined ? undefined : json ? JSON.stringify(body) : body,
    });
  } catch (e) {
    return { ok: false, status: 0, offline: true, data: null, headers: new Headers() };
  }
  let data = null;
  const type = r.headers.get("Content-Type") || "";
  if (type.includes("json")) { try { data = await r.json(); } catch (e) { data = null; } }
  return { ok: r.ok, status: r.status, data, headers: r.headers };
}

export const get = (path) => call("GET", path);
export const post = (path, body, extra) => call("POST", path, body, extra);
export const put = (path, body, extra) => call("PUT", path, body, extra);

// What a failed call says to the driver, in words.
export function problemText(r) {
  if (!r || r.offline) return L("网络不通，已保存，恢复后会自动继续。", "No connection. Saved; it continues when the network is back.");
  const d = r.data;
  if (d && d.zh && d.en) {
    const main = pick({ zh: d.zh.detail || d.zh.title, en: d.en.detail || d.en.title });
    const fields = (d.errors || []).map((e) => e.detail).filter(Boolean);
    return fields.length ? main + " " + fields.join(L("；", "; ")) : main;
  }
  return L("请求失败（" + r.status + "），请稍后重试。", "The request failed (" + r.status + "); try again.");
}

// A key for one creation, kept with the draft so a retry never creates a second thing.
export function newKey() { return crypto.randomUUID(); }

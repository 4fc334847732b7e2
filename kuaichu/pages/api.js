// The API as any client uses it: same origin, problem+json errors, Idempotency-Key on retried creations.
// The driver's credential is an HttpOnly cookie the page never sees; state-changing calls carry the
// anti-forgery token the session endpoints return. Until the service hands out the cookie, the session
// token is kept in this module's memory only (gone on reload: the driver logs in again, and every report
// of the phone comes back with it).
import { L, lang, pick } from "./i18n.js";

let csrf = null;
let bearer = null;

export function signedIn() { return Boolean(csrf || bearer); }

// Headers for a plain fetch of a file (a photo, the agreement PDF) with this page's credential.
export function authHeaders() { return bearer ? { Authorization: "Bearer " + bearer } : {}; }

export function forget() { csrf = null; bearer = null; }

export function adoptSession(data) {
  if (data && data.csrf_token) csrf = data.csrf_token;
  if (data && data.session_token) bearer = data.session_token;
}

function headers(method, extra, json) {
  const h = { "Accept-Language": lang() === "en" ? "en" : "zh-CN", Accept: "application/json" };
  if (json) h["Content-Type"] = "application/json";
  if (bearer) h.Authorization = "Bearer " + bearer;
  if (csrf && method !== "GET" && method !== "HEAD") h["X-CSRF-Token"] = csrf;
  return Object.assign(h, extra || {});
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

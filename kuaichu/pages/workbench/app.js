// What every workbench page shares: building DOM safely (never innerHTML with data), Chinese-first texts with
// English, the API client (the HttpOnly session cookie goes by itself; state-changing calls carry the session's
// anti-forgery token), Beijing time, and the sign-out button.

export const $ = (sel, root = document) => root.querySelector(sel);

export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

// "中文 English": the Chinese first, the English marked as such for screen readers.
export function bi(zh, en) {
  return [zh, " ", h("span", { lang: "en" }, en)];
}

const SVG = "http://www.w3.org/2000/svg";
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const kid of kids.flat()) if (kid) el.append(kid instanceof Node ? kid : document.createTextNode(kid));
  return el;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.title) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

let session = null;

export async function currentSession() {
  if (session) return session;
  session = await api("GET", "/v1/staff/session");
  return session;
}

export async function api(method, path, body, { form, headers: extra } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": "zh-CN", ...(extra || {}) };
  if (method !== "GET") {
    const s = path === "/v1/staff/session" && method === "POST" ? null : await currentSession();
    if (s) headers["X-CSRF-Token"] = s.csrf_token;
  }
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  const text = await r.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { raw: text }; }
  }
  if (r.status === 401 && path !== "/v1/staff/session") {
    location.assign(`/staff/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, data);
  }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

// The problem the API answered, in both languages, with the fields it points at.
export function problemNode(err) {
  const p = (err && err.problem) || {};
  const zh = p.zh ? p.zh.detail || p.zh.title : "请求失败，请稍后重试。";
  const en = p.en ? p.en.detail || p.en.title : (err && err.message) || "The request failed; try again.";
  const list = (p.errors || []).map((e) => h("li", {}, e.pointer ? h("code", {}, e.pointer) : null, " ",
    e.zh ? e.zh : e.detail || "", e.en ? h("span", { lang: "en" }, " " + e.en) : null));
  return h("div", { class: "problem" }, h("p", {}, zh, " ", h("span", { lang: "en" }, en)),
    list.length ? h("ul", {}, list) : null);
}

export function showProblem(where, err) {
  where.replaceChildren(problemNode(err));
  where.setAttribute("role", "alert");
}

export function say(where, zh, en, kind = "ok") {
  where.replaceChildren(h("p", { class: kind }, ...bi(zh, en)));
}

const BEIJING = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  hour12: false,
});
export function when(iso) {
  if (!iso) return "—";
  return BEIJING.format(new Date(iso));
}

export function yuan(fen) {
  return (fen / 100).toFixed(2) + " 元";
}

export function ago(iso) {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 3600) return `${Math.max(0, Math.round(s / 60))} 分钟`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} 小时`;
  return `${(s / 86400).toFixed(1)} 天`;
}

export function table(zh, en, heads, rows) {
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": `${zh} ${en}` },
    h("table", {},
      h("caption", {}, ...bi(zh, en)),
      h("thead", {}, h("tr", {}, heads.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.length
        ? rows.map((r) => h("tr", {}, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c)))))
        : h("tr", {}, h("td", { colspan: heads.length }, ...bi("暂无", "Nothing here"))))));
}

export function loading(where) {
  where.replaceChildren(h("p", { class: "muted" }, ...bi("加载中…", "Loading…")));
}

// Sign-out button in the header; pages import this module, so it is wired everywhere.
const out = document.getElementById("sign-out");
if (out) {
  out.addEventListener("click", async () => {
    try { await api("DELETE", "/v1/staff/session"); } catch { /* signed out already */ }
    location.assign("/staff/sign-in");
  });
}

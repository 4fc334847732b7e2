// Photos queued on the phone: each original is kept in IndexedDB with its SHA-256 (computed here with
// crypto.subtle) and sent untouched, never re-encoded. Sending is resumable: the service is told the size and
// hash first, then gets chunks at the offset it reports, so a dropped connection resumes where it stopped.
// The draft of the steps not yet saved by the service lives in the same database.
import { actingAs, call as apiCall } from "./api.js";

const DB = "kuaichu";
let opened = null;

function db() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore("photos", { keyPath: "id" });
        req.result.createObjectStore("draft", { keyPath: "key" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opened;
}

async function tx(store, mode, work) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, mode);
    const result = work(t.objectStore(store));
    t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    t.onerror = () => reject(t.error);
  });
}

// "current": this phone's driver; "second": the other driver confirming on this phone (one-phone mode).
export const loadDraft = async (key = "current") => (await tx("draft", "readonly", (s) => s.get(key))) || { key };
export const saveDraft = (draft) => tx("draft", "readwrite", (s) => s.put({ ...draft, key: draft.key || "current" }));
export async function clearAll() {
  await tx("draft", "readwrite", (s) => s.clear());
  await tx("photos", "readwrite", (s) => s.clear());
}

export const allPhotos = async () => (await tx("photos", "readonly", (s) => s.getAll())) || [];
const putPhoto = (rec) => tx("photos", "readwrite", (s) => s.put(rec));

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Queue one photo of a kind (the file exactly as the camera gave it).
export async function queuePhoto(file, kind, reportId) {
  const bytes = await file.arrayBuffer();
  const rec = {
    id: crypto.randomUUID(), kind, reportId: reportId || null, name: file.name || "photo.jpg",
    type: file.type || "image/jpeg", size: bytes.byteLength, sha256: await sha256Hex(bytes),
    blob: new Blob([bytes], { type: file.type || "image/jpeg" }), state: "queued", sent: 0, uploadId: null,
    error: null, at: Date.now(), actor: actingAs(),
  };
  await putPhoto(rec);
  wake();
  return rec;
}

export async function dropPhoto(id) { await tx("photos", "readwrite", (s) => s.delete(id)); notify(); }

// Photos taken before the report existed belong to it once it is created.
export async function assignReport(reportId) {
  for (const rec of await allPhotos()) {
    if (!rec.reportId) { rec.reportId = reportId; await putPhoto(rec); }
  }
  wake();
}

const listeners = new Set();
export function onPhotos(fn) { listeners.add(fn); return () => listeners.delete(fn); }
async function notify() { const list = await allPhotos(); listeners.forEach((fn) => fn(list)); }

let running = false;
let timer = null;
let pause = 1000;

export function wake() {
  clearTimeout(timer);
  timer = null;
  if (!running) { pause = 1000; run(); }
}
addEventListener("online", wake);

async function run() {
  running = true;
  for (;;) {
    const next = (await allPhotos()).filter((p) => p.reportId && (p.state === "queued" || p.state === "sending"))
      .sort((a, b) => a.at - b.at)[0];
    if (!next) break;
    const outcome = await send(next);
    await notify();
    if (outcome === "again") continue;  // declare the photo anew (its upload expired)
    if (outcome === "retry") {  // the network dropped: try again later, patiently, from where it stopped
      next.stalled = true;
      await putPhoto(next);
      await notify();
      timer = setTimeout(run, pause);
      pause = Math.min(pause * 2, 8000);
      running = false;
      return;
    }
    pause = 1000;
  }
  running = false;
  await submitWhenComplete();
  await notify();
}

// Once every photo of a report is in, the evidence is submitted (the other party can then go on), whichever
// screen is shown and whoever is using the phone; the service refuses it while a required kind is missing.
const submitted = new Set();
async function submitWhenComplete() {
  const byReport = new Map();
  for (const p of await allPhotos()) if (p.reportId) byReport.set(p.reportId, [...(byReport.get(p.reportId) || []), p]);
  for (const [reportId, list] of byReport) {
    if (submitted.has(reportId) || !list.some((p) => p.state === "stored") || list.some((p) => p.state === "queued" || p.state === "sending")) continue;
    owner = list[0].actor || "driver";
    const r = await call("POST", `/v1/reports/${reportId}/submit`);
    if (r.ok || r.status === 409) submitted.add(reportId);  // 409: past the evidence stage already
  }
}

// Every request about a photo goes with the session of the driver who took it, even while the other driver
// uses the phone (one-phone mode).
let owner = "driver";
const call = (method, path, body, extra) => apiCall(method, path, body, { ...(extra || {}), "X-Acting-As": owner });

function uploads(rec) { return `/v1/reports/${rec.reportId}/photos/uploads`; }

function refuse(rec, r) {
  rec.state = "refused";
  rec.error = r.data && r.data.zh ? { zh: r.data.zh.detail || r.data.zh.title, en: r.data.en.detail || r.data.en.title }
    : { zh: "服务拒绝了这张照片（" + r.status + "）", en: "The service refused this photo (" + r.status + ")" };
}

async function send(rec) {
  owner = rec.actor || "driver";
  rec.state = "sending";
  rec.stalled = false;
  await putPhoto(rec);
  await notify();
  if (!rec.uploadId) {
    const r = await call("POST", uploads(rec), { kind: rec.kind, size_bytes: rec.size, sha256: rec.sha256 },
                         { "Idempotency-Key": rec.id });
    if (r.offline || r.status >= 500 || r.status === 429) return "retry";
    if (r.status === 404 || r.status === 405) return sendWhole(rec);  // a service without resumable uploads
    if (!r.ok) { refuse(rec, r); await putPhoto(rec); return "done"; }
    rec.uploadId = r.data.upload_id;
    rec.chunk = r.data.chunk_max_bytes || 512 * 1024;
    rec.sent = r.data.offset || 0;
    if (r.data.status === "complete") return stored(rec, r.data.photo);
    await putPhoto(rec);
  } else {
    const h = await call("HEAD", `${uploads(rec)}/${rec.uploadId}`);
    if (h.offline || h.status >= 500) return "retry";
    const status = h.headers.get("Upload-Status");
    if (h.status === 404 || h.status === 410 || status === "expired") { rec.uploadId = null; rec.sent = 0; await putPhoto(rec); return "again"; }
    if (status === "complete" || status === "failed") {
      const g = await call("GET", `${uploads(rec)}/${rec.uploadId}`);
      if (!g.ok) return "retry";
      if (status === "complete") return stored(rec, g.data.photo);
      refuse(rec, { status: 422, data: g.data.failure });
      await putPhoto(rec);
      return "done";
    }
    rec.sent = Number(h.headers.get("Upload-Offset") || 0);
  }
  while (rec.sent < rec.size) {
    const end = Math.min(rec.sent + (rec.chunk || 512 * 1024), rec.size);
    const r = await call("PATCH", `${uploads(rec)}/${rec.uploadId}`, rec.blob.slice(rec.sent, end),
                         { "Upload-Offset": String(rec.sent), "Content-Type": "application/offset+octet-stream" });
    if (r.offline || r.status >= 500 || r.status === 429 || r.status === 400) { await putPhoto(rec); return "retry"; }
    if (r.status === 409 && r.data && typeof r.data.offset === "number") { rec.sent = r.data.offset; continue; }
    if (r.status === 410) { rec.uploadId = null; rec.sent = 0; await putPhoto(rec); return "again"; }
    if (!r.ok) { refuse(rec, r); await putPhoto(rec); return "done"; }
    if (r.status === 200 && r.data && r.data.status === "complete") return stored(rec, r.data.photo);
    rec.sent = Number(r.headers.get("Upload-Offset") || end);
    await putPhoto(rec);
    notify();
  }
  return "done";
}

// The one-shot upload, for a service that only has it: the same bytes, the same hash, retried safely.
async function sendWhole(rec) {
  const form = new FormData();
  form.append("kind", rec.kind);
  form.append("file", rec.blob, rec.name);
  const r = await call("POST", `/v1/reports/${rec.reportId}/photos`, form, { "Idempotency-Key": rec.id });
  if (r.offline || r.status >= 500 || r.status === 429) return "retry";
  if (!r.ok) { refuse(rec, r); await putPhoto(rec); return "done"; }
  return stored(rec, r.data);
}

async function stored(rec, photo) {
  if (photo && photo.sha256 && photo.sha256 !== rec.sha256) {
    refuse(rec, { status: 422, data: null });
    await putPhoto(rec);
    return "done";
  }
  rec.state = "stored";
  rec.sent = rec.size;
  rec.photoId = photo ? photo.id : null;
  await putPhoto(rec);
  return "done";
}

// One assessment task: the case's photos and place, the driver's phone while the task is the member's and
// open; accept with an ETA, decline with a reason, on scene, then the on-scene record with photos taken on
// this device (a coordinator's record is the hand-over to the insurer). Each action is offered only in the
// state in which the API takes it, and only on the member's own task.
import { $, api, bi, h, loading, say, showProblem, when, yuan } from "./app.js";
import { STATUS } from "./status.js";

const taskId = document.body.dataset.id;
const role = document.body.dataset.role;
const where = $("#task");
let queued = []; // photos taken on this device, not yet sent: {file, url}

function photos(list) {
  if (!list || !list.length) return h("p", { class: "muted" }, bi("暂无照片", "No photos"));
  return h("ul", { class: "queue-photos" }, list.map((p) => h("li", {},
    h("a", { href: p.original || p.url || p.preview, target: "_blank", rel: "noopener" },
      h("img", { src: p.thumbnail || p.preview || p.url, alt: `${p.kind || "photo"} ${p.party_label || ""}` })),
    p.kind || "")));
}

function acceptForm(t) {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const form = h("form", { class: "actions", id: "accept" },
    h("label", { for: "eta" }, bi("预计多少分钟到达", "Minutes until on scene")),
    h("input", { id: "eta", name: "eta", type: "number", min: 1, max: 240, value: 30, required: true, inputmode: "numeric" }),
    h("button", { type: "submit" }, bi("接受任务", "Accept")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const eta = Number(form.elements.eta.value);
    if (!(eta >= 1 && eta <= 240)) {
      say(out, "请填写1到240之间的分钟数。", "Enter minutes between 1 and 240.", "error");
      form.elements.eta.focus();
      return;
    }
    try {
      await api("POST", `/v1/assessment/tasks/${t.id}/accept`, { eta_minutes: eta });
      await load("已接受任务。", "Task accepted.");
    } catch (err) { showProblem(out, err); }
  });
  return [form, out];
}

function declineForm(t, zh, en) {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const form = h("form", { class: "form", id: "decline" },
    h("label", { for: "decline-reason" }, bi("原因", "Reason")),
    h("textarea", { id: "decline-reason", name: "reason", rows: 2, maxlength: 500, required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, bi(zh, en))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = form.elements.reason.value.trim();
    if (!reason) {
      say(out, "请填写原因。", "Give a reason.", "error");
      form.elements.reason.focus();
      return;
    }
    try {
      await api("POST", `/v1/assessment/tasks/${t.id}/decline`, { reason });
      await load("已退回，任务将派给其他人员。", "Declined; the task goes to someone else.");
    } catch (err) { showProblem(out, err); }
  });
  return [form, out];
}

function arriveButton(t) {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const b = h("button", { type: "button", id: "on-scene" }, bi("我已到达现场", "I am on scene"));
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await api("POST", `/v1/assessment/tasks/${t.id}/on-scene`);
      await load("已记录到达现场。", "Arrival recorded.");
    } catch (err) { showProblem(out, err); b.disabled = false; }
  });
  return [h("div", { class: "actions" }, b), out];
}

function itemRow(i) {
  return h("fieldset", { class: "item" }, h("legend", {}, bi(`损失项目 ${i + 1}`, `Damage item ${i + 1}`)),
    h("label", {}, bi("部位", "Part"), " ", h("input", { name: "part", maxlength: 100 })),
    h("label", {}, bi("说明", "Description"), " ", h("input", { name: "description", maxlength: 500 })),
    h("label", {}, bi("金额（元）", "Amount (yuan)"), " ", h("input", { name: "amount", type: "number", min: 0, step: "0.01", inputmode: "decimal" })));
}

function recordForm(t) {
  const out = h("div", { role: "status", "aria-live": "polite", id: "record-result" });
  const shots = h("ul", { class: "queue-photos", id: "shots" });
  const items = h("div", { id: "items" }, itemRow(0));
  const camera = h("input", { id: "camera", type: "file", accept: "image/jpeg,image/png,image/heic,image/*", capture: "environment", multiple: true });
  const coordinator = role === "coordinator";
  const form = h("form", { class: "form", id: "record" },
    h("label", { for: "camera" }, bi("拍照（可多张）", "Take photos (several allowed)")), camera, shots,
    h("label", { for: "notes" }, bi("现场情况", "Notes on scene")),
    h("textarea", { id: "notes", name: "notes", rows: 4, maxlength: 4000, required: true }),
    items,
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", id: "add-item" }, bi("再加一项", "Add an item"))),
    h("button", { type: "submit" }, coordinator ? bi("提交现场记录并移交保险公司", "Submit the record and hand over to the insurer")
      : bi("提交现场查勘记录", "Submit the on-scene record")));
  camera.addEventListener("change", () => {
    for (const file of camera.files) queued.push({ file, url: URL.createObjectURL(file) });
    camera.value = "";
    shots.replaceChildren(...queued.map((q, i) => h("li", {},
      h("img", { src: q.url, alt: `待上传照片 ${i + 1} photo to send` }),
      h("button", { type: "button", class: "secondary", onclick: () => { URL.revokeObjectURL(q.url); queued.splice(i, 1); camera.dispatchEvent(new Event("change")); } },
        bi("删除", "Remove")))));
  });
  form.querySelector("#add-item").addEventListener("click", () => {
    const row = itemRow(items.children.length);
    items.append(row);
    row.querySelector("input").focus();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const notes = form.elements.notes.value.trim();
    if (!notes) {
      say(out, "请填写现场情况。", "Write the notes on scene.", "error");
      form.elements.notes.focus();
      return;
    }
    const list = [];
    for (const row of items.querySelectorAll("fieldset")) {
      const part = row.querySelector("[name=part]").value.trim();
      const amount = row.querySelector("[name=amount]").value;
      if (!part && !amount) continue;
      if (!part || amount === "" || Number(amount) < 0) {
        say(out, "每个损失项目需填写部位和金额。", "Each damage item needs a part and an amount.", "error");
        (part ? row.querySelector("[name=amount]") : row.querySelector("[name=part]")).focus();
        return;
      }
      list.push({ part, description: row.querySelector("[name=description]").value.trim(), amount_fen: Math.round(Number(amount) * 100) });
    }
    const body = new FormData();
    body.append("record", JSON.stringify({ notes, items: list }));
    for (const q of queued) body.append("photo", q.file, q.file.name);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(out, `正在提交（${queued.length} 张照片）…`, `Sending (${queued.length} photos)…`);
    try {
      await api("POST", `/v1/assessment/tasks/${t.id}/record`, undefined, { form: body });
      queued.forEach((q) => URL.revokeObjectURL(q.url));
      queued = [];
      await load(coordinator ? "现场记录已提交并移交保险公司。" : "现场记录已提交。",
        coordinator ? "The record is in and handed over to the insurer." : "The on-scene record is in.");
    } catch (err) {
      showProblem(out, err);
      button.disabled = false;
    }
  });
  return [form, out];
}

function record(r) {
  return h("div", { class: "done" },
    h("p", {}, bi("现场记录已提交", "Record submitted"), ` ${when(r.submitted_at)}`),
    h("p", {}, r.notes),
    h("ul", {}, (r.items || []).map((i) => h("li", {}, `${i.part}：${yuan(i.amount_fen)} ${i.description || ""}`))),
    h("p", {}, bi("合计", "Total"), ` ${yuan(r.total_fen || 0)} · ${(r.photo_ids || []).length} `, bi("张照片", "photos")));
}

async function load(zh, en) {
  if (!zh) loading(where);
  let t, mine;
  try {
    [t, mine] = await Promise.all([api("GET", `/v1/assessment/tasks/${taskId}`),
      ["adjuster", "coordinator"].includes(role) ? api("GET", "/v1/assessment/tasks").then((x) => x.tasks) : []]);
  } catch (err) {
    showProblem(where, err);
    return;
  }
  const own = mine.some((x) => x.id === t.id);
  const st = STATUS[t.status] || [t.status, t.status];
  $("#task-title").replaceChildren(...bi(`查勘任务 ${t.plate}`, `Assessment task ${t.plate}`));
  const parts = [];
  if (zh) parts.push(h("p", { class: "ok", role: "status" }, bi(zh, en)));
  parts.push(h("dl", { class: "summary" },
    h("div", {}, h("dt", {}, bi("状态", "Status")), h("dd", { id: "status" }, bi(...st))),
    h("div", {}, h("dt", {}, bi("地点", "Place")), h("dd", {}, `${(t.place && t.place.zone_name) || t.zone_id} · ${(t.place && t.place.address) || ""}`)),
    h("div", {}, h("dt", {}, bi("车辆", "Vehicle")), h("dd", {}, `${t.vehicle_label} · ${t.plate} · ${t.insurer_code}`)),
    t.driver_contact ? h("div", {}, h("dt", {}, bi("驾驶人电话", "Driver's phone")),
      h("dd", {}, h("a", { href: `tel:${t.driver_contact.phone}` }, t.driver_contact.phone))) : null,
    t.eta_at ? h("div", {}, h("dt", {}, bi("预计到达", "ETA")), h("dd", {}, when(t.eta_at))) : null,
    t.due_at ? h("div", {}, h("dt", {}, bi("时限", "Due")), h("dd", {}, when(t.due_at))) : null));
  parts.push(h("h2", {}, bi("案件照片", "The case's photos")), photos(t.photos));
  parts.push(h("h2", { id: "actions-h" }, bi("操作", "Actions")));
  if (own && t.status === "offered") parts.push(...acceptForm(t), ...declineForm(t, "拒绝任务", "Decline"));
  else if (own && t.status === "accepted") parts.push(...arriveButton(t), ...declineForm(t, "退回任务", "Give the task back"));
  else if (own && t.status === "on_scene" && !t.record) parts.push(...recordForm(t));
  else if (!t.record) parts.push(h("p", { class: "muted" }, bi("此任务当前无需您操作。", "Nothing for you to do on this task now.")));
  if (t.record) parts.push(h("h2", {}, bi("现场记录", "On-scene record")), record(t.record));
  where.replaceChildren(...parts);
}

load();

// The driver's app: one page whose view follows the report's state on the service (and, before the report
// exists, the draft kept on this phone). A reload, a new tab or a dropped connection resumes where the driver was.
import { L, lang, pick, setLang, when, yuan } from "./i18n.js";
import { actAs, actingAs, authHeaders, call, forget, get, newKey, post, problemText, put, resume, secondSignedIn, signIn, signInSecond,
         signedIn } from "./api.js";
import { allPhotos, assignReport, clearAll, dropPhoto, loadDraft, onPhotos, queuePhoto, saveDraft, wake } from "./photos.js";
import { FLAGS, QUESTIONS, accountOf, plainLaw } from "./facts.js";

const main = document.getElementById("view");
const live = document.getElementById("live");
const PHOTO_LIMIT = Number(document.documentElement.dataset.photoLimit || 30);
const REQUIRED = ["front_overview", "rear_overview", "impact_point"];
const KINDS = {
  front_overview: ["侧前方全景（车头45°）", "Front three-quarter view (45° from the front)",
                   "站在车头斜前方约5米，拍下两辆车和车道线。", "From about 5 m ahead at 45°: both vehicles and the lane lines."],
  rear_overview: ["侧后方全景（车尾45°）", "Rear three-quarter view (45° from the back)",
                  "站在车尾斜后方约5米，拍下两辆车和路面标线。", "From about 5 m behind at 45°: both vehicles and the markings."],
  impact_point: ["碰撞部位近景", "Close-up of where the vehicles touch",
                 "靠近拍碰撞的地方，能看清损坏。", "Close to the point of contact, the damage clearly visible."],
  plate: ["车牌", "Number plates", "拍清两车车牌。", "Both plates, readable."],
  scene: ["现场（路口、红绿灯）", "The scene (junction, lights)", "拍下路口、信号灯或标志。", "The junction, the lights or the signs."],
  other: ["其他", "Other", "任何您认为有用的照片。", "Anything else that helps."],
};
let draft = { key: "current" };
let poll = null;
let me = null;  // the phone's reports, when signed in
let resumed = false;  // the browser's cookie sessions were looked up once
let quiet = false;  // a re-check while waiting: change the screen only if what it says changed

// ---- small DOM helpers (no inline script or style anywhere: the page's CSP forbids both) ----
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v);
  }
  for (const kid of kids.flat(3)) if (kid !== null && kid !== undefined && kid !== false) el.append(kid.nodeType ? kid : String(kid));
  return el;
}
const T = (zh, en) => L(zh, en);
function say(text) { live.textContent = ""; setTimeout(() => { live.textContent = text; }, 30); }
function errorBox(text) { return h("p", { class: "error", role: "alert" }, h("strong", {}, T("出错了：", "Problem: ")), text); }
function button(label, onclick, cls) { return h("button", { type: "button", class: cls || "primary", onclick }, label); }

function show(title, ...body) {
  clearTimeout(poll);
  const next = [h("h1", { tabindex: "-1", id: "title" }, title), ...body.flat(3).filter((x) => x !== null && x !== undefined && x !== false)];
  if (quiet && main.textContent === next.map((n) => n.textContent ?? String(n)).join("")) return;
  document.title = title + " · " + T("快处", "Kuaichu");
  main.replaceChildren(...next);
  if (!quiet) document.getElementById("title").focus();
  header();
}

function later(ms) {
  clearTimeout(poll);
  poll = setTimeout(() => { quiet = true; route().finally(() => { quiet = false; }); }, ms);
}

async function remember(changes) {
  Object.assign(draft, changes);
  await saveDraft(draft);
  document.documentElement.dataset.savedAt = String(Date.now());  // kept on the phone: a reload finds it
  syncDraft();
}

// The draft goes to the service as well (encrypted there), so another tab or phone logged in with the same
// number finds the answers: the phone's draft before its report exists, the party's draft after.
let syncTimer = null;
function syncDraft() {
  clearTimeout(syncTimer);
  const logged = actingAs() === "second-party" ? secondSignedIn() : signedIn();
  if (!logged || !draft.step) return;
  const snapshot = { ...draft };
  syncTimer = setTimeout(() => {
    const { key, createKey, respondKey, signKey, ...data } = snapshot;
    const path = data.reportId ? `/v1/reports/${data.reportId}/parties/me/draft` : "/v1/me/draft";
    put(path, { step: String(data.step).slice(0, 40), data });
  }, 300);
}

async function fromServer(path) {
  const r = await get(path);
  return r.ok && r.data && r.data.data ? r.data.data : null;
}

function radios(name, options, current, required) {
  return options.map(([value, zh, en]) => h("label", { class: "choice" },
    h("input", { type: "radio", name, value, checked: current === value, required: required !== false }), " ", T(zh, en)));
}

function fieldset(legend, ...kids) { return h("fieldset", {}, h("legend", {}, legend), ...kids); }

function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === "radio") { if (el.checked) out[el.name] = el.value; }
    else if (el.type === "checkbox") { if (el.checked) (out[el.name] = out[el.name] || []).push(el.value); }
    else out[el.name] = el.value.trim();
  }
  return out;
}

// ---- header: language, elderly mode, 122 and logout, on every screen ----
function header() {
  const bar = document.getElementById("tools");
  bar.replaceChildren(
    h("button", { type: "button", class: "tool", lang: lang() === "en" ? "zh-CN" : "en",
                  onclick: () => { setLang(lang() === "en" ? "zh" : "en"); route(); } }, lang() === "en" ? "中文" : "English"),
    h("button", { type: "button", class: "tool", "aria-pressed": String(document.documentElement.classList.contains("elder")),
                  onclick: () => { const on = document.documentElement.classList.toggle("elder");
                                   localStorage.setItem("kuaichu.elder", on ? "1" : "0"); header(); } },
      T("长辈版", "Large text")),
    h("a", { class: "tool call", href: "tel:122" }, T("拨打122", "Call 122")),
    ...(signedIn() ? [h("button", { type: "button", class: "tool", onclick: logout }, T("退出登录", "Log out"))] : []),
  );
  const banner = document.getElementById("acting");
  const other = actingAs() === "second-party";
  banner.hidden = !other && !secondSignedIn();
  banner.replaceChildren(banner.hidden ? "" : h("p", {},
    other ? T("现在由另一方驾驶人在这台手机上操作。", "The other driver is using this phone now.")
      : T("另一方驾驶人也在这台手机上登录了。", "The other driver is also logged in on this phone."), " ",
    h("button", { type: "button", class: "tool", onclick: () => switchTo(other ? "driver" : "second-party") },
      other ? T("交回本机驾驶人", "Hand back to this phone's driver") : T("换另一方操作", "Let the other driver use it"))));
}

function switchTo(who) {
  actAs(who);
  me = null;
  if (who === "second-party") sessionStorage.setItem("kuaichu.acting", who); else sessionStorage.removeItem("kuaichu.acting");
  route();
}

// One-phone mode: the other driver confirms on this phone with their own number and code.
async function handOver(code) {
  actAs("second-party");
  me = null;
  sessionStorage.setItem("kuaichu.acting", "second-party");
  draft = { key: "second", role: "B", code, step: "eligibility", onePhone: true };
  await saveDraft(draft);
  route();
}

async function logout() {
  await post("/v1/auth/logout");
  if (actingAs() === "second-party") {
    forget("second-party");
    sessionStorage.removeItem("kuaichu.acting");
    say(T("另一方已退出。", "The other driver logged out."));
    return route();
  }
  forget();
  me = null;
  const pending = (await allPhotos()).some((p) => p.state === "queued" || p.state === "sending");
  if (!pending) await clearAll();
  draft = { key: "current" };
  say(T("已退出登录。", "Logged out."));
  route();
}

// ---- the views before a report exists ----
const CASE_Q = [
  ["injuries", "有人受伤吗？", "Is anyone hurt?", false],
  ["vehicles_movable", "车辆还能开动、可以挪到路边吗？", "Can the vehicles still be driven off the road?", true],
  ["public_facility_damage", "护栏、信号灯等公共设施损坏了吗？", "Is public property (barriers, lights) damaged?", false],
  ["intentional", "有人故意造成事故吗？", "Did anyone cause it on purpose?", false],
];
const PARTY_Q = [
  ["licence_valid", "您的驾驶证有效吗？", "Is your driving licence valid?", true],
  ["compulsory_insurance", "您的车买了交强险吗？", "Does your vehicle have compulsory (交强险) insurance?", true],
  ["inspection_mark_valid", "您的车年检合格吗？", "Has your vehicle passed its inspection?", true],
  ["suspected_impairment", "您喝酒了或服用了影响驾驶的药物吗？", "Have you had alcohol or drugs that affect driving?", false],
  ["has_plate", "您的车有号牌吗？", "Does your vehicle have a number plate?", true],
  ["fled", "有人驾车离开了现场吗？", "Did anyone drive away from the scene?", false],
  ["dangerous_goods", "您的车装着危险品吗？", "Is your vehicle carrying dangerous goods?", false],
  ["overloaded_passenger", "您的车超员了吗？", "Is your vehicle carrying too many people?", false],
];

function startView() {
  const mine = (me && me.reports) || [];
  show(T("轻微事故，线上快处", "Minor accident? Settle it online"),
    h("p", { class: "lead" }, T("先确认安全：打开危险报警闪光灯，在车后放置警告标志，人员撤到护栏外。",
      "Safety first: hazard lights on, warning triangle behind the car, everyone behind the barrier.")),
    mine.length ? h("section", { "aria-labelledby": "mine" }, h("h2", { id: "mine" }, T("继续处理", "Continue")),
      h("ul", { class: "list" }, mine.map((r) => h("li", {}, button(`${r.plate} · ${when(r.occurred_at)}`, async () => {
        await remember({ reportId: r.report_id, role: r.label === "A" ? "A" : "B" }); route(); }, "secondary"))))) : null,
    button(T("我要报案（先开始的一方）", "Start a report (I'm first)"), async () => { await remember({ role: "A", step: "eligibility" }); route(); }),
    button(T("对方给了我分享码", "The other driver gave me a share code"), async () => { await remember({ role: "B", step: "eligibility" }); route(); }, "secondary"),
  );
}

function eligibilityView() {
  const answers = draft.answers || {};
  const q = ([name, zh, en]) => fieldset(T(zh, en), h("div", { class: "row" },
    radios(name, [["yes", "是", "Yes"], ["no", "否", "No"]], answers[name])));
  const form = h("form", { novalidate: true },
    draft.role === "B" ? fieldset(T("分享码", "Share code"), h("label", { for: "code" }, T("对方告诉您的分享码（如 ABCD-2345）", "The code the other driver gave you (e.g. ABCD-2345)")),
      h("input", { id: "code", name: "code", value: draft.code || "", required: true, autocapitalize: "characters", autocomplete: "off" })) : null,
    CASE_Q.map(q), PARTY_Q.map(q), h("div", { id: "err" }),
    h("button", { type: "submit", class: "primary" }, T("下一步", "Next")));
  form.addEventListener("change", () => remember({ answers: formValues(form) }));  // kept at once
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const missing = [...CASE_Q, ...PARTY_Q].filter(([n]) => !v[n]);
    if (missing.length || (draft.role === "B" && !v.code)) {
      form.querySelector("#err").replaceChildren(errorBox(T("请回答每个问题（还有 ", "Please answer every question (") +
        (missing.length || 1) + T(" 个未答）。", " left).")));
      return;
    }
    const yes = (n) => v[n] === "yes";
    const caseAnswers = Object.fromEntries(CASE_Q.map(([n]) => [n, yes(n)]));
    const partyAnswers = Object.fromEntries(PARTY_Q.map(([n]) => [n, yes(n)]));
    const r = await post("/v1/eligibility/check", { ...caseAnswers, parties: [{ id: draft.role || "A", ...partyAnswers }] });
    if (!r.ok) { form.querySelector("#err").replaceChildren(errorBox(problemText(r))); return; }
    await remember({ answers: v, case_answers: caseAnswers, party_answers: partyAnswers, code: v.code || draft.code,
                     step: r.data.eligible ? (signedIn() ? nextAfterLogin() : "login") : "referred", referral: r.data });
    route();
  });
  show(T("先回答几个问题", "A few questions first"),
    h("p", {}, T("用来判断这起事故能否线上自行处理。", "They tell whether this accident may be handled online.")), form);
}

function nextAfterLogin() { return draft.role === "B" ? "details" : "location"; }

function referralView(result) {
  const reasons = (result && result.reasons) || [];
  const moveFirst = result && result.action === "move_then_call_122";
  show(T("请拨打 122 报警", "Please call 122"),
    h("div", { class: "alert", role: "alert" },
      h("p", {}, T("这起事故不能线上自行处理，交警会来处理。", "This accident cannot be settled online: the traffic police will handle it.")),
      h("p", {}, h("strong", {}, T("原因：", "Why: ")), reasons.map((x) => pick(x)).join(T("；", "; ")) || T("见上", "see above")),
      h("p", {}, moveFirst ? T("请先把车挪到不妨碍交通的地方，再拨打 122。", "Move the vehicles out of the way first, then call 122.")
        : T("请不要移动车辆，留在安全处等候交警。", "Do not move the vehicles; wait somewhere safe for the police."))),
    h("a", { class: "primary big call", href: "tel:122" }, T("立即拨打 122", "Call 122 now")),
    button(T("重新开始", "Start again"), async () => { draft = { key: "current" }; await saveDraft(draft); route(); }, "secondary"));
}

function loginView() {
  const form = h("form", { novalidate: true },
    h("label", { for: "phone" }, T("手机号", "Mobile number")),
    h("input", { id: "phone", name: "phone", type: "tel", inputmode: "numeric", autocomplete: "tel", required: true, value: draft.phone || "" }),
    button(T("获取验证码", "Send me a code"), async () => {
      const phone = form.phone.value.trim();
      const r = await post("/v1/auth/otp", { phone });
      form.querySelector("#err").replaceChildren(r.ok ? h("p", { class: "ok", role: "status" },
        T("验证码已发到 ", "Code sent to ") + r.data.phone_masked) : errorBox(problemText(r)));
      if (r.ok) { await remember({ phone }); form.code.focus(); }
    }, "secondary"),
    h("label", { for: "code" }, T("短信验证码（6位）", "Code from the text message (6 digits)")),
    h("input", { id: "code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true, maxlength: "6" }),
    h("div", { id: "err" }),
    h("button", { type: "submit", class: "primary" }, T("登录", "Log in")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const phone = form.phone.value.trim();
    const code = form.code.value.trim();
    const r = actingAs() === "second-party" ? await signInSecond(phone, code) : await signIn(phone, code);
    if (!r.ok) { form.querySelector("#err").replaceChildren(errorBox(problemText(r))); return; }
    me = null;
    await remember({ phone: form.phone.value.trim(), step: draft.reportId ? draft.step : nextAfterLogin() });
    say(T("已登录。", "Logged in."));
    route();
  });
  show(actingAs() === "second-party" ? T("另一方：用您自己的手机号登录", "Other driver: log in with your own number") : T("用手机号登录", "Log in with your phone"),
    actingAs() === "second-party" ? h("p", { class: "note" }, T("验证码会发到您自己的手机上，本机驾驶人无法代替您操作。",
      "The code goes to your own phone: this phone's driver cannot act for you.")) : null,
    h("p", {}, draft.reportId ? T("请重新登录，继续处理您的事故。", "Log in again to continue with your accident.")
      : T("我们会发一条短信验证码，证明这是您的手机。", "We text you a code to prove this is your phone.")), form);
}

function locationView() {
  const pos = draft.location;
  const out = h("div", { id: "pos", role: "status" }, pos
    ? T(`已定位：纬度 ${pos.lat.toFixed(5)}，经度 ${pos.lon.toFixed(5)}，精度约 ${Math.round(pos.accuracy)} 米`,
        `Located: ${pos.lat.toFixed(5)}, ${pos.lon.toFixed(5)}, accurate to about ${Math.round(pos.accuracy)} m`)
    : T("还没有定位。", "Not located yet."));
  const locate = button(T("用手机定位", "Use my phone's position"), () => {
    if (!navigator.geolocation) { out.replaceChildren(errorBox(T("手机不支持定位，请在下方写清地点。", "No positioning on this phone; describe the place below."))); return; }
    out.textContent = T("正在定位…", "Locating…");
    navigator.geolocation.getCurrentPosition(async (p) => {
      await remember({ location: { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy } });
      locationView();
    }, () => out.replaceChildren(errorBox(T("无法定位：请在浏览器中允许定位后重试，并在下方写清地点。",
      "Could not get a position: allow location in the browser and try again; describe the place below."))),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }, pos ? "secondary" : "primary");
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const form = h("form", { novalidate: true },
    h("label", { for: "address" }, T("地点（道路、方向、附近标志物）", "Place (road, direction, a landmark)")),
    h("input", { id: "address", name: "address", required: true, value: draft.address || "", autocomplete: "off" }),
    h("label", { for: "when" }, T("事故时间", "Time of the accident")),
    h("input", { id: "when", name: "when", type: "datetime-local", value: draft.when || now, max: now, required: true }),
    fieldset(T("天气", "Weather"), h("div", { class: "row" }, radios("weather", [["clear", "晴", "Clear"], ["overcast", "阴", "Overcast"],
      ["rain", "雨", "Rain"], ["fog", "雾", "Fog"], ["snow", "雪", "Snow"]], draft.weather || "clear"))),
    h("div", { id: "err" }),
    h("button", { type: "submit", class: "primary" }, T("下一步：拍照", "Next: photos")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    if (!draft.location || !v.address) {
      form.querySelector("#err").replaceChildren(errorBox(!draft.location
        ? T("需要手机定位才能确认事故在服务区内：请点“用手机定位”。", "The phone's position is needed to check the service area: tap “Use my phone's position”.")
        : T("请写下地点。", "Please describe the place.")));
      return;
    }
    await remember({ address: v.address, when: v.when, weather: v.weather, step: "photos" });
    route();
  });
  show(T("事故地点", "Where it happened"), locate, out, form);
}

function photoState(p) {
  if (p.state === "stored") return T("已上传", "Stored");
  if (p.state === "refused") return T("被拒绝：", "Refused: ") + pick(p.error);
  const pct = Math.floor((100 * p.sent) / p.size);
  if (p.state === "sending" && p.stalled) return T(`网络中断，已传 ${pct}%，恢复后自动继续`, `No network: ${pct}% sent, it continues by itself`);
  if (p.state === "sending") return T("正在上传 ", "Sending ") + pct + "%";
  return p.reportId ? T("排队中，等待上传", "Queued, waiting to send") : T("已保存在手机上，提交信息后上传", "Saved on the phone; sent after your details");
}

function photoCard(kind, taken) {
  const [zh, en, tipZh, tipEn] = KINDS[kind];
  const id = "file-" + kind;
  const input = h("input", { id, type: "file", accept: "image/*", capture: "environment", class: "file" });
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    await queuePhoto(file, kind, draft.reportId);
    say(T("照片已保存在手机上。", "Photo saved on the phone."));
    route();
  });
  const example = KINDS[kind] && kind !== "other" ? h("img", { src: `/app/shot-${kind}.svg`, alt: T("示例：", "Example: ") + T(zh, en), width: "120", height: "90" }) : null;
  return h("li", { class: "shot" },
    h("h3", {}, T(zh, en)), h("p", { class: "tip" }, T(tipZh, tipEn)),
    h("div", { class: "pair" }, example,
      taken.map((p) => h("figure", {}, h("img", { src: URL.createObjectURL(p.blob), alt: T("您拍的：", "Your photo: ") + T(zh, en), width: "120", height: "90" }),
        h("figcaption", { class: "state-" + p.state, "data-photo": p.id }, photoState(p)),
        p.state !== "stored" ? h("button", { type: "button", class: "link", onclick: async () => { await dropPhoto(p.id); route(); } }, T("删除重拍", "Delete")) : null))),
    h("label", { for: id, class: "secondary filebutton" }, taken.length ? T("再拍一张", "Take another") : T("拍照", "Take the photo")), input);
}

async function photosView() {
  const list = (await allPhotos()).filter((p) => !draft.reportId || !p.reportId || p.reportId === draft.reportId);
  const queued = new Set(list.filter((p) => p.state !== "refused").map((p) => p.kind));
  const missing = REQUIRED.filter((k) => !queued.has(k));
  const left = PHOTO_LIMIT - list.length;
  show(T("拍照取证", "Photos"),
    h("p", {}, T("每张照片先看示例再拍。照片保存在手机上，网络不好也不会丢。", "Look at the example, then take the photo. Photos are kept on the phone even without network.")),
    h("ol", { class: "shots" }, REQUIRED.map((k) => photoCard(k, list.filter((p) => p.kind === k)))),
    h("h2", {}, T("更多照片（可选）", "More photos (optional)")),
    h("p", { id: "left" }, T(`还可以再拍 ${left} 张`, `${left} more photos allowed`)),
    left > 0 ? h("ul", { class: "shots" }, ["plate", "scene", "other"].map((k) => photoCard(k, list.filter((p) => p.kind === k)))) : null,
    missing.length ? h("p", { class: "note" }, T("还缺：", "Still needed: ") + missing.map((k) => T(KINDS[k][0], KINDS[k][1])).join(T("、", ", "))) : null,
    button(T("必拍照片已保存，下一步", "Required photos saved: next"), async () => {
      if (missing.length) { say(T("还有必拍照片没拍。", "Required photos are missing.")); return; }
      await remember({ step: draft.reportId ? draft.step : "moved" }); draft.reportId ? route() : movedView();
    }));
  if (!document.getElementById("left")) return;
}

function movedView() {
  show(T("现在可以挪车了", "You may move the vehicles now"),
    h("div", { class: "good", role: "status" },
      h("p", { class: "lead" }, T("必拍照片已保存在手机上。请把车开到不妨碍交通的安全地点，再继续填写。",
        "The required photos are saved on the phone. Drive to a safe place off the road, then continue.")),
      h("p", {}, T("照片会在后台上传，离开现场也没关系。", "Photos upload in the background, even after you leave."))),
    button(T("已挪车，继续填写信息", "Moved: continue with my details"), async () => { await remember({ step: "details" }); route(); }));
}

async function detailsView() {
  const [ins, notice] = await Promise.all([get("/v1/insurers"), get("/v1/privacy-notice")]);
  const d = draft.details || {};
  const input = (name, zh, en, attrs) => [h("label", { for: name }, T(zh, en)),
    h("input", { id: name, name, value: d[name] || "", required: true, ...(attrs || {}) })];
  const form = h("form", { novalidate: true },
    h("h2", {}, T("驾驶人", "Driver")),
    input("name", "姓名", "Name", { autocomplete: "name" }),
    fieldset(T("证件", "Document"), h("div", { class: "row" }, radios("id_kind", [["licence", "驾驶证", "Driving licence"], ["id_card", "身份证", "ID card"]], d.id_kind || "licence"))),
    input("id_number", "证件号码", "Document number", { autocomplete: "off", autocapitalize: "characters" }),
    h("h2", {}, T("车辆", "Vehicle")),
    input("plate", "车牌号（如 浙A12345）", "Plate (e.g. 浙A12345)", { autocapitalize: "characters", autocomplete: "off" }),
    h("label", { for: "vehicle_type" }, T("车辆类型", "Vehicle type")),
    h("select", { id: "vehicle_type", name: "vehicle_type" }, [["small_passenger", "小型汽车（轿车、SUV）", "Car or SUV"], ["medium_passenger", "中型客车", "Minibus"],
      ["light_truck", "轻型货车", "Light truck"], ["motorcycle", "摩托车", "Motorcycle"], ["other", "其他", "Other"]]
      .map(([v, zh, en]) => h("option", { value: v, selected: d.vehicle_type === v }, T(zh, en)))),
    h("h2", {}, T("交强险", "Compulsory insurance")),
    h("label", { for: "insurer_code" }, T("保险公司", "Insurer")),
    h("select", { id: "insurer_code", name: "insurer_code", required: true }, h("option", { value: "" }, T("请选择", "Choose")),
      ((ins.data && ins.data.insurers) || []).map((i) => h("option", { value: i.code, selected: d.insurer_code === i.code },
        lang() === "en" && i.name_en ? i.name_en : i.name))),
    input("policy_number", "交强险保单号（保单或电子保单上）", "Policy number (on the policy)", { autocomplete: "off", autocapitalize: "characters" }),
    draft.role === "A" ? [h("h2", {}, T("对方驾驶人（可选）", "The other driver (optional)")),
      h("label", { for: "invite_phone" }, T("对方手机号：我们会发短信邀请对方加入", "Their mobile number: we text them a link to join")),
      h("input", { id: "invite_phone", name: "invite_phone", type: "tel", inputmode: "numeric", value: d.invite_phone || "" })] : null,
    fieldset(T("同意", "Consent"),
      h("details", {}, h("summary", {}, T("个人信息处理说明", "How your personal data is used")), h("p", {}, pick(notice.data || {}))),
      h("label", { class: "choice" }, h("input", { type: "checkbox", name: "consent", value: "location", checked: true }),
        " ", T("同意处理事故地点等信息（必需）", "I agree to the processing of the accident's place and details (required)")),
      h("label", { class: "choice" }, h("input", { type: "checkbox", name: "consent", value: "sharing", checked: true }),
        " ", T("同意与保险公司、交警和法院共享本案", "I agree to share the case with insurers, police and the court"))),
    h("div", { id: "err" }),
    h("button", { type: "submit", class: "primary" }, draft.role === "A" ? T("保存并生成分享码", "Save and get the share code") : T("加入事故处理", "Join the report")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const consents = v.consent || [];
    await remember({ details: v });
    const err = form.querySelector("#err");
    if (!consents.includes("location")) { err.replaceChildren(errorBox(T("需要同意处理事故信息才能继续。", "Consent to processing is required to continue."))); return; }
    const party = { answers: draft.party_answers,
      driver: { name: v.name, id_kind: v.id_kind, id_number: v.id_number.toUpperCase(), phone: draft.phone },
      vehicle: { plate: v.plate.toUpperCase(), type: v.vehicle_type },
      insurance: { insurer_code: v.insurer_code, policy_number: v.policy_number.toUpperCase() } };
    const consent = { notice_version: (notice.data && notice.data.version) || "", location: true, sharing: consents.includes("sharing") };
    const key = draft.createKey || newKey();
    await remember({ createKey: key });
    let r;
    if (draft.role === "A") {
      const occurred = new Date(draft.when).toISOString();
      r = await post("/v1/reports", { occurred_at: occurred, location: { lat: draft.location.lat, lon: draft.location.lon },
        address: draft.address, weather: draft.weather || "clear", vehicle_count: 2, case_answers: draft.case_answers, party, consent,
        ...(v.invite_phone ? { invite_phone: v.invite_phone } : {}) }, { "Idempotency-Key": key });
    } else {
      r = await post("/v1/reports/join", { share_code: draft.code.toUpperCase(), case_answers: draft.case_answers, party, consent },
        { "Idempotency-Key": key });
      if (r.status === 200 && r.data && r.data.status === "referred_to_122") {
        await remember({ step: "referred", referral: r.data.eligibility }); route(); return;
      }
    }
    if (!r.ok) { err.replaceChildren(errorBox(problemText(r))); await remember({ createKey: null }); return; }
    call("DELETE", "/v1/me/draft");  // the report holds it all now
    await remember({ reportId: r.data.report.id, shareCode: r.data.share_code || null, step: "report" });
    await assignReport(r.data.report.id);
    route();
  });
  show(draft.role === "A" ? T("您的车辆和保险", "Your vehicle and insurance") : T("加入：您的车辆和保险", "Joining: your vehicle and insurance"), form);
}

// ---- the views of a report on the service ----
const STATUS = {
  draft: ["照片上传中", "Photos uploading"], awaiting_parties: ["等待对方加入", "Waiting for the other driver"],
  facts_complete: ["双方已加入，请说明经过", "Both joined: describe what happened"], proposed: ["责任建议已出", "Proposal ready"],
  agreed: ["已签署协议", "Agreement signed"], in_review: ["交警审核中", "Police reviewing"],
  determined: ["交警已认定责任", "Police determination issued"], referred_to_122: ["已转122处理", "Referred to 122"],
  court_requested: ["已申请法院处理", "Court handling requested"], offline_mediation: ["线下调解", "Offline mediation"],
  closed: ["已结案", "Closed"], withdrawn: ["已撤销", "Withdrawn"], court_accepted: ["法院已受理", "Court accepted"],
  court_mediation: ["法院调解中", "Court mediation scheduled"], court_mediated: ["已调解", "Mediated"],
  court_confirmed: ["司法确认完成", "Judicially confirmed"], court_judged: ["已判决", "Judged"],
  court_payout_ordered: ["法院已判赔付", "Payout ordered"], court_withdrawn: ["已撤回法院申请", "Court request withdrawn"],
};
const LIABILITY = { full: ["全部责任", "Full liability"], major: ["主要责任", "Major liability"], equal: ["同等责任", "Equal liability"],
                    minor: ["次要责任", "Minor liability"], none: ["无责任", "No liability"] };

function statusLine(report) {
  const [zh, en] = STATUS[report.status] || [report.status, report.status];
  return h("p", { class: "status" }, T("当前状态：", "Status: "), h("strong", {}, T(zh, en)));
}

async function loadReport() {
  const [r, f] = await Promise.all([get(`/v1/reports/${draft.reportId}`), get(`/v1/reports/${draft.reportId}/fault`)]);
  return { r, f };
}

function partiesBlock(report) {
  return h("section", { "aria-labelledby": "who" }, h("h2", { id: "who" }, T("双方信息", "Both parties")),
    h("dl", { class: "parties" }, report.parties.map((p) => [
      h("dt", {}, T(`${p.label} 方`, `Party ${p.label}`), p.is_you ? T("（您）", " (you)") : ""),
      h("dd", {}, `${p.driver.name} · ${p.vehicle.plate} · ${p.insurance.insurer_code} ${p.insurance.policy_number}`)])));
}

function placeBlock(report) {
  return h("p", {}, T("时间：", "When: "), when(report.occurred_at), h("br"), T("地点：", "Where: "), report.address || "",
    ` (${report.location.lat.toFixed(5)}, ${report.location.lon.toFixed(5)}) · `, report.zone.name,
    report.zone.kind === "rural" ? T("（农村）", " (rural)") : T("（城区）", " (urban)"));
}

function uploadsBlock(list) {
  if (!list.length) return null;
  return h("section", { "aria-labelledby": "up" }, h("h2", { id: "up" }, T("照片", "Photos")),
    h("ul", { class: "uploads" }, [...list].sort((x, y) => x.at - y.at).map((p) => h("li", {},
      T(KINDS[p.kind][0], KINDS[p.kind][1]), T("：", ": "), h("span", { "data-photo": p.id }, photoState(p)),
      h("progress", { max: String(p.size), value: String(p.sent), "data-photo-bar": p.id, hidden: p.state !== "sending",
                      "aria-label": T("上传进度", "Upload progress") })))));
}

async function reportView() {
  const { r, f } = await loadReport();
  if (r.status === 401) { forget(actingAs()); me = null; return loginView(); }
  if (r.offline) { show(T("网络不通", "No connection"), errorBox(problemText(r)), button(T("重试", "Try again"), route)); return later(4000); }
  if (!r.ok) { show(T("无法打开事故", "Cannot open the report"), errorBox(problemText(r)),
    button(T("回到首页", "Home"), async () => { draft = { key: "current" }; await saveDraft(draft); route(); }, "secondary")); return; }
  const report = r.data;
  const fault = f.ok ? f.data : null;
  const mine = report.parties.find((p) => p.is_you);
  const label = mine ? mine.label : draft.role;
  const photos = (await allPhotos()).filter((p) => p.reportId === report.id);
  if (report.status === "referred_to_122") return referralView(report.referral);
  if (label !== "A" && !draft.reviewed) return reviewOtherView(report, photos);
  if (label !== "A" && (report.status === "draft" || report.status === "awaiting_parties")) {
    return waitingView(report, T("对方的照片还在上传，完成后即可继续。", "The other driver's photos are still uploading; you can go on once they are in."), photos);
  }
  if (report.status === "draft" || report.status === "awaiting_parties") return shareView(report, photos);
  const st = fault ? fault.status : report.status;
  if (st === "facts_complete") {
    if (fault.missing_accounts.includes(label)) {
      if (!draft.facts) { const saved = await fromServer(`/v1/reports/${report.id}/parties/me/draft`); if (saved && saved.facts) draft.facts = saved.facts; }
      return factsView(report);
    }
    return waitingView(report, T("已收到您的陈述，等待对方填写。", "Your account is in; waiting for the other driver's."), photos);
  }
  if (st === "proposed") return proposalView(report, fault, label, photos);
  if (st === "agreed") return agreementView(report, fault, photos);
  if (st === "determined") return determinationView(report, fault, label, photos);
  return statusView(report, fault, photos);
}

// Each photo's state changes in place (queued → sending n % → stored or refused), without redrawing the screen.
function onPhotoChange() {
  onPhotos((list) => {
    const mine = list.filter((p) => p.reportId && p.reportId === draft.reportId);
    if (document.querySelector('.share[data-status="draft"]') && mine.length && mine.every((p) => p.state === "stored" || p.state === "refused")) later(50);
    for (const p of list) {
      for (const el of document.querySelectorAll(`[data-photo="${p.id}"]`)) el.textContent = photoState(p);
      const bar = document.querySelector(`progress[data-photo-bar="${p.id}"]`);
      if (bar) { bar.value = p.sent; bar.hidden = p.state !== "sending"; }
    }
  });
}

async function shareView(report, photos) {
  if (report.status === "draft" && !report.missing_photo_kinds.length) {
    const s = await post(`/v1/reports/${report.id}/submit`);
    if (s.ok) return route();
  }
  let code = draft.shareCode;
  if (report.status === "awaiting_parties" && (!code || new Date(code.expires_at) < new Date())) {
    const s = await post(`/v1/reports/${report.id}/share-code`);
    if (s.ok) { code = s.data.share_code; await remember({ shareCode: code }); }
  }
  const storedHere = new Set(photos.filter((p) => p.state === "stored").map((p) => p.kind));
  const missing = report.missing_photo_kinds.filter((k) => !storedHere.has(k));
  show(T("请对方加入", "Ask the other driver to join"), statusLine(report),
    code ? h("section", { class: "share", "data-status": report.status, "aria-labelledby": "sc" },
      h("h2", { id: "sc" }, T("分享码", "Share code")),
      h("p", { class: "code", "aria-label": T("分享码 ", "Share code ") + code.code.split("").join(" ") }, code.code),
      h("img", { src: `/app/share-qr.svg?code=${encodeURIComponent(code.code)}`, alt: T("分享码二维码：对方用手机扫码加入", "QR code: the other driver scans it to join"), width: "200", height: "200", class: "qr" }),
      h("p", {}, T("请对方用自己的手机扫二维码，或打开快处输入分享码。", "The other driver scans the QR code with their phone, or opens Kuaichu and types the code.")),
      h("p", { class: "note" }, T("有效期至 ", "Valid until ") + when(code.expires_at)),
      button(T("对方在这台手机上确认", "The other driver confirms on this phone"), () => handOver(code.code), "secondary")) : null,
    missing.length ? h("p", { class: "note" }, T("照片还在上传：", "Photos still uploading: ") + missing.map((k) => T(KINDS[k][0], KINDS[k][1])).join(T("、", ", "))) : null,
    uploadsBlock(photos),
    photos.some((p) => p.state === "refused") ? button(T("重拍被拒绝的照片", "Retake refused photos"), async () => { await remember({ step: "photos" }); photosView(); }, "secondary") : null);
  wake();
  later(3000);
}

function photoGallery(report) {
  const box = h("div", { class: "gallery" });
  for (const p of report.photos) {
    const img = h("img", { alt: T(KINDS[p.kind][0], KINDS[p.kind][1]), width: "150", height: "112" });
    box.append(h("figure", {}, img, h("figcaption", {}, T(KINDS[p.kind][0], KINDS[p.kind][1]), " · ", p.party_label || "")));
    fetch(`/v1/reports/${report.id}/photos/${p.id}/${p.derivatives === "ready" ? "thumbnail" : "original"}`,
      { credentials: "same-origin", headers: authHeaders() }).then((x) => x.ok ? x.blob() : null)
      .then((b) => { if (b) img.src = URL.createObjectURL(b); }).catch(() => {});
  }
  return box;
}

function reviewOtherView(report, photos) {
  show(T("请先看对方填写的内容", "First read what the other driver entered"), statusLine(report), placeBlock(report), partiesBlock(report),
    h("h2", {}, T("现场照片", "Photos of the scene")), photoGallery(report), uploadsBlock(photos),
    button(T("我已看完，继续", "I have read it: continue"), async () => { await remember({ reviewed: true }); route(); }));
}

function waitingView(report, text, photos) {
  show(T("请稍候", "Please wait"), statusLine(report), h("p", { role: "status" }, text), uploadsBlock(photos));
  later(3000);
}

function factsView(report) {
  const a = draft.facts || {};
  const form = h("form", { novalidate: true },
    QUESTIONS.map((q) => h("fieldset", { "data-q": q.name, hidden: q.when && !q.when(a) }, h("legend", {}, T(q.zh, q.en)),
      radios(q.name, q.optional ? [...q.options, ["unknown", "不清楚", "Not sure"]] : q.options, a[q.name], !q.optional))),
    fieldset(T("以下情况是否属实？（可多选，没有就不选）", "Do any of these apply to you? (tick any, or none)"),
      FLAGS.map(([v, zh, en]) => h("label", { class: "choice" }, h("input", { type: "checkbox", name: "flags", value: v }), " ", T(zh, en)))),
    h("div", { id: "err" }), h("button", { type: "submit", class: "primary" }, T("提交我的陈述", "Submit my account")));
  form.addEventListener("change", () => {  // each answer is kept at once: a reload finds it again
    const v = formValues(form);
    for (const q of QUESTIONS) if (q.when) form.querySelector(`[data-q="${q.name}"]`).hidden = !q.when(v);
    remember({ facts: v });
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const need = QUESTIONS.filter((q) => !q.optional && !v[q.name]);
    if (need.length) { form.querySelector("#err").replaceChildren(errorBox(T("请回答：", "Please answer: ") + need.map((q) => T(q.zh, q.en)).join(" "))); return; }
    await remember({ facts: v });
    const mine = report.parties.find((p) => p.is_you);
    const r = await put(`/v1/reports/${report.id}/fault/accounts/${mine.label}`, accountOf(v));
    if (!r.ok) { form.querySelector("#err").replaceChildren(errorBox(problemText(r))); return; }
    route();
  });
  show(T("事故经过", "What happened"), h("p", {}, T("按您自己看到的回答。对方也会单独回答。", "Answer as you saw it. The other driver answers separately.")), form);
}

function proposalBlock(fault) {
  const res = fault.proposal.result;
  return h("section", { class: "proposal", "aria-labelledby": "pp" }, h("h2", { id: "pp" }, T("责任建议", "Proposed liability")),
    h("ul", {}, res.allocations.map((x) => h("li", {}, h("strong", {}, T(`${x.party} 方：`, `Party ${x.party}: `)),
      T(LIABILITY[x.liability][0], LIABILITY[x.liability][1]), ` (${x.share_percent}%)`))),
    res.matched.map((m) => h("div", { class: "rule" },
      h("p", {}, T(`依据（${m.party} 方的情形）：`, `Why (party ${m.party}): `), pick(m.title)),
      h("p", { class: "law" }, T("法律依据：", "Legal basis: "), m.legal_basis.join(T("；", "; "))),
      h("ul", { class: "plain" }, m.legal_basis.map((a) => plainLaw(a)).filter(Boolean)
        .map(([zh, en]) => h("li", {}, T("意思是：", "In plain words: ") + T(zh, en)))))),
    res.review_reasons.length ? h("p", {}, res.review_reasons.map((x) => pick(x)).join(" ")) : null);
}

function proposalView(report, fault, label, photos) {
  const mine = fault.responses.find((x) => x.party === label);
  const signed = fault.signatures.find((x) => x.party === label);
  const all = report.parties.every((p) => fault.responses.some((x) => x.party === p.label && x.response === "accept"));
  if (mine && mine.response === "accept" && all && !signed) return signView(report, fault, label);
  if (mine) return waitingView(report, signed ? T("您已签名，等待对方签名。", "You signed; waiting for the other driver.")
    : T("您已接受，等待对方答复。", "You accepted; waiting for the other driver."), photos);
  const reason = h("textarea", { id: "reason", name: "reason", rows: "3" });
  const err = h("div", {});
  const respond = async (response) => {
    if (response === "dispute" && !reason.value.trim()) { err.replaceChildren(errorBox(T("不同意时请写明理由。", "Please give your reason for disagreeing."))); reason.focus(); return; }
    const key = draft.respondKey || newKey();
    await remember({ respondKey: key });
    const r = await post(`/v1/reports/${report.id}/fault/responses`, { proposal_version: fault.proposal.version, response,
      ...(response === "dispute" ? { reason: reason.value.trim() } : {}) }, { "Idempotency-Key": key });
    await remember({ respondKey: null });
    if (!r.ok) { err.replaceChildren(errorBox(problemText(r))); return; }
    route();
  };
  show(T("责任建议", "Proposed liability"), statusLine(report), proposalBlock(fault),
    h("p", { class: "note" }, T("这是按规则得出的建议，不是交警的认定。同意就签协议；不同意就写明理由，交给交警审核。",
      "This is a proposal from the rules, not a police decision. Agree and sign, or disagree with a reason and the police review it.")),
    button(T("同意", "I agree"), () => respond("accept")),
    h("label", { for: "reason" }, T("不同意的理由", "Why you disagree")), reason, err,
    button(T("不同意，交交警审核", "I disagree: ask the police"), () => respond("dispute"), "secondary"));
  later(5000);  // the other driver may answer first (a dispute ends this screen)
}

function signView(report, fault, label) {
  const equalish = fault.proposal.result.allocations.every((x) => x.share_percent > 0);
  const code = h("input", { id: "sigcode", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6" });
  const mutual = h("input", { type: "checkbox", id: "mutual" });
  const err = h("div", {});
  show(T("签署前请核对", "Check before signing"), statusLine(report), placeBlock(report), partiesBlock(report), proposalBlock(fault),
    h("p", { class: "note" }, T("本协议只确认上面写明的内容，不表示承认协议以外的任何事项。",
      "This agreement confirms only what is written above; it admits nothing beyond it.")),
    equalish ? h("label", { class: "choice" }, mutual, " ", T("选择交强险互碰自赔（各自找自己的保险公司）", "Opt in to mutual self-compensation (each insurer pays its own driver)")) : null,
    button(T("获取签名验证码", "Text me a signing code"), async () => {
      const r = await post(`/v1/reports/${report.id}/fault/signing-code`);
      err.replaceChildren(r.ok ? h("p", { class: "ok", role: "status" }, T("验证码已发到 ", "Code sent to ") + r.data.phone_masked) : errorBox(problemText(r)));
      if (r.ok) code.focus();
    }, "secondary"),
    h("label", { for: "sigcode" }, T("签名验证码（6位）", "Signing code (6 digits)")), code, err,
    button(T("确认签名", "Sign"), async () => {
      const key = draft.signKey || newKey();
      await remember({ signKey: key });
      const r = await post(`/v1/reports/${report.id}/fault/signatures`, { proposal_version: fault.proposal.version, code: code.value.trim(),
        mutual_self_compensation: Boolean(mutual.checked) }, { "Idempotency-Key": key });
      await remember({ signKey: null });
      if (!r.ok) { err.replaceChildren(errorBox(problemText(r))); return; }
      say(T("已签名。", "Signed."));
      route();
    }));
}

async function agreementView(report, fault, photos) {
  const a = await get(`/v1/reports/${report.id}/agreement`);
  const pdf = h("a", { class: "primary big", href: `/v1/reports/${report.id}/agreement.pdf`, download: `agreement-${report.id}.pdf`,
    onclick: async (e) => {  // fetched with this page's credential, then saved under its name
      e.preventDefault();
      const x = await fetch(e.currentTarget.href, { credentials: "same-origin", headers: authHeaders() });
      if (!x.ok) { say(T("下载失败，请重试。", "Download failed; try again.")); return; }
      const link = h("a", { href: URL.createObjectURL(await x.blob()), download: `agreement-${report.id}.pdf` });
      document.body.append(link); link.click(); link.remove();
    } }, T("下载协议书（PDF）", "Download the agreement (PDF)"));
  show(T("协议已签署", "Agreement signed"), statusLine(report),
    h("p", { class: "good", role: "status" }, T("双方已签署《道路交通事故自行协商协议书》，理赔已经开始。", "Both signed the accident agreement; the claims have started.")),
    placeBlock(report), partiesBlock(report), proposalBlock(fault),
    a.ok ? h("p", { class: "note" }, T("协议指纹 SHA-256：", "Agreement SHA-256: "), h("code", {}, fault.agreement.pdf_sha256.slice(0, 16) + "…")) : null,
    pdf, await statusBlock(report), uploadsBlock(photos));
  later(15000);  // assessment, claims and texts move on by themselves
}

function determinationView(report, fault, label, photos) {
  const d = fault.determination;
  const mine = fault.determination_responses.find((x) => x.party === label);
  const reason = h("textarea", { id: "dreason", rows: "3" });
  const err = h("div", {});
  const answer = async (response) => {
    if (response === "dispute" && !reason.value.trim()) { err.replaceChildren(errorBox(T("请写明理由。", "Please give a reason."))); return; }
    const r = await post(`/v1/reports/${report.id}/fault/determination-responses`, { determination_version: d.version, response,
      ...(response === "dispute" ? { reason: reason.value.trim() } : {}) }, { "Idempotency-Key": newKey() });
    if (!r.ok) { err.replaceChildren(errorBox(problemText(r))); return; }
    route();
  };
  show(T("交警的责任认定", "The police determination"), statusLine(report),
    h("ul", {}, d.shares.map((s) => h("li", {}, T(`${s.party} 方：`, `Party ${s.party}: `), T(LIABILITY[s.liability][0], LIABILITY[s.liability][1])))),
    h("p", {}, T("理由：", "Reason: "), d.reason), h("p", { class: "law" }, T("依据：", "Articles: "), d.articles.join(T("；", "; "))),
    mine ? h("p", { role: "status" }, T("您已答复：", "Your answer: "), mine.response === "accept" ? T("接受", "accepted") : T("不接受", "disputed"))
      : [button(T("接受认定", "Accept"), () => answer("accept")), h("label", { for: "dreason" }, T("不接受的理由", "Why you do not accept")), reason, err,
        button(T("不接受", "Do not accept"), () => answer("dispute"), "secondary")],
    uploadsBlock(photos));
  if (mine) later(8000);
}

// Everything after the agreement or the police: assessment, assessor and ETA, claims with requested documents and
// deadlines, court or offline mediation, and the texts sent to this driver (the service's status summary).
async function statusBlock(report) {
  const r = await get(`/v1/reports/${report.id}/status`);
  const s = r.ok ? r.data : null;
  const section = (id, title, ...kids) => h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...kids);
  if (!s) return section("st", T("后续进度", "What happens next"), h("p", {}, problemText(r)));
  const assess = s.assessments.map((a) => h("li", {}, T(`${a.vehicle_label} 车定损：`, `Vehicle ${a.vehicle_label} assessment: `),
    a.assessor_name ? T(`${a.assessor_kind === "coordinator" ? "农村事故协理员" : "保险公司查勘员"} ${a.assessor_name}`,
                        `${a.assessor_kind === "coordinator" ? "rural accident coordinator" : "insurer's adjuster"} ${a.assessor_name}`)
      : T("正在安排查勘员", "an assessor is being found"),
    a.eta_at ? T("，预计到达 ", ", expected ") + when(a.eta_at) : ""));
  const claims = s.claims.map((c) => h("li", {}, h("strong", {}, T(`${c.vehicle_label} 车理赔`, `Claim for vehicle ${c.vehicle_label}`),
    c.yours ? T("（您的车）", " (your vehicle)") : ""), T("：", ": "), pick(c),
    (c.lines || []).map((ln) => h("div", { class: "line" },
      h("p", {}, lang() === "en" ? ln.insurer_code : (ln.insurer_name || ln.insurer_code), T("：", ": "), pick(ln)),
      ln.documents_to_send.length ? h("p", {}, T("需要您提供：", "Documents asked of you: "), ln.documents_to_send.map(pick).join(T("、", ", "))) : null,
      ln.next_deadline ? h("p", {}, pick(ln.next_deadline), T("，期限 ", ", due ") + when(ln.next_deadline.due_at)) : null,
      ln.payout_fen !== null ? h("p", {}, T("赔付金额：", "Payout: "), yuan(ln.payout_fen)) : null,
      ln.paid_fen !== null ? h("p", {}, T("已支付：", "Paid: "), yuan(ln.paid_fen)) : null))));
  const court = s.court && s.court.state !== "not_sent" ? h("p", {}, pick(s.court), s.court.case_number ? ` (${s.court.case_number})` : "") : null;
  const texts = s.notifications.map((n) => h("li", {}, when(n.queued_at), " ", pick(n)));
  return h("div", {},
    section("st", T("后续进度", "What happens next"), h("p", { class: "status" }, h("strong", {}, pick(s.status_text))),
      h("p", {}, T("下一步：", "Next: "), pick(s.next))),
    assess.length ? section("as", T("定损", "Damage assessment"), h("ul", {}, assess)) : null,
    claims.length ? section("cl", T("理赔", "Claims"), h("ul", { class: "list" }, claims)) : null,
    court ? section("ct", T("法院", "Court"), court) : null,
    texts.length ? section("sms", T("已发给您的短信", "Texts sent to you"), h("ul", {}, texts)) : null);
}

async function statusView(report, fault, photos) {
  const lines = [];
  if (report.status === "in_review") lines.push(h("p", { role: "status" }, T("交警正在审核本案，认定后会短信通知您。请保持电话畅通。",
    "The police are reviewing the case and will text you their determination. Keep your phone on.")));
  if (report.status === "offline_mediation") lines.push(h("p", {}, T("本地区不接入线上法院，将安排线下调解。", "This area has no online court link: offline mediation will be arranged.")));
  const disputes = fault ? fault.responses.filter((x) => x.response === "dispute") : [];
  show(T("处理进度", "Progress"), statusLine(report), ...lines,
    disputes.map((x) => h("p", {}, T(`${x.party} 方不同意责任建议，理由：`, `Party ${x.party} disagreed with the proposal: `), x.reason)),
    fault && fault.proposal ? proposalBlock(fault) : null,
    await statusBlock(report), uploadsBlock(photos));
  later(10000);
}

function insecureView() {
  show(T("请用 https 打开", "Open this page over https"), h("p", { class: "error", role: "alert" },
    T("为了在手机上计算照片的指纹（SHA-256）并安全保存登录状态，本页面只能通过 https 地址（或本机 localhost）使用。请改用 https:// 开头的地址。",
      "To fingerprint photos on the phone (SHA-256) and keep your login safe, this page works only over https (or localhost). Use the https:// address.")));
}

// ---- routing ----
async function route() {
  clearTimeout(poll);
  if (!window.isSecureContext || !(window.crypto && crypto.subtle) || !window.indexedDB) return insecureView();
  if (!resumed) {
    resumed = true;
    await resume();
    if (sessionStorage.getItem("kuaichu.acting") === "second-party" && secondSignedIn()) actAs("second-party");
    wake();  // photos left unsent by a closed tab or a reload go on from where they stopped
  }
  draft = await loadDraft(actingAs() === "second-party" ? "second" : "current");
  const code = new URLSearchParams(location.search).get("code");
  if (code && !draft.reportId && !draft.role) await remember({ role: "B", code: code.toUpperCase(), step: "eligibility" });
  const logged = actingAs() === "second-party" ? secondSignedIn() : signedIn();
  if (logged && !me) {
    const r = await get("/v1/me/reports");
    me = r.ok ? r.data : null;
  }
  if (logged && !draft.reportId && (!draft.step || draft.step === "login")) {  // a new phone or browser: the saved draft
    const saved = await fromServer("/v1/me/draft");
    if (saved && (saved.reportId || (saved.step && saved.step !== "login"))) { draft = { ...saved, key: draft.key }; await saveDraft(draft); }
  }
  if (draft.reportId) return logged ? reportView() : loginView();
  switch (draft.step) {
    case "eligibility": return eligibilityView();
    case "referred": return referralView(draft.referral);
    case "login": return logged ? (await remember({ step: nextAfterLogin() }), route()) : loginView();
    case "location": return logged ? locationView() : loginView();
    case "photos": return logged ? photosView() : loginView();
    case "moved": return movedView();
    case "details": return logged ? detailsView() : loginView();
    default: return startView();
  }
}

document.documentElement.classList.toggle("elder", localStorage.getItem("kuaichu.elder") === "1");
setLang(lang());
onPhotoChange();
route();

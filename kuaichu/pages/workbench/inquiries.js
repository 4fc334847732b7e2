// Inquiries and complaints (咨询及投诉) of the jurisdiction: open ones by answer deadline, each with the case it
// is about; the answer goes to the driver by SMS and on their status page.
import { $, api, bi, h, say, showProblem, when } from "./app.js";

const where = $("#inquiries");
const role = document.body.dataset.role;
const KIND = { question: ["咨询", "question"], complaint: ["投诉", "complaint"] };
const SUBJECT = { assessor: ["查勘人员", "the assessor"], insurer: ["保险公司", "the insurer"], police: ["交警", "the police"],
  other: ["其他", "other"] };

function item(q) {
  const kind = KIND[q.kind] || [q.kind, q.kind];
  const subject = q.subject ? SUBJECT[q.subject] || [q.subject, q.subject] : null;
  const out = h("div", { role: "status", "aria-live": "polite" });
  const id = `answer-${q.id}`;
  const parts = [
    h("h2", {}, bi(...kind), subject ? [" · ", bi(...subject)] : null,
      ` · ${q.zone.name} · `, bi(`案件 ${q.report_id.slice(0, 8)} 当事人 ${q.party}`, `case ${q.report_id.slice(0, 8)}, party ${q.party}`),
      q.about_case ? null : [" · ", bi("一般咨询", "general")]),
    h("p", { class: "muted" }, bi("提出", "Sent"), ` ${when(q.created_at)} · `, bi("答复时限", "Answer by"), ` ${when(q.due_at)}`,
      q.breached ? [" ", h("strong", { class: "late" }, bi("已超时", "overdue"))] : null),
    h("blockquote", {}, q.text),
  ];
  if (q.answer) {
    parts.push(h("div", { class: "done" }, h("p", {}, bi("已答复", "Answered"), ` ${when(q.answered_at)} · ${q.answered_by || ""}`),
      h("p", {}, q.answer)));
  } else if (role !== "supervisor") {
    const form = h("form", { class: "form" },
      h("label", { for: id }, bi("答复（将以短信发送给驾驶人）", "Answer (texted to the driver)")),
      h("textarea", { id, name: "answer", rows: 3, maxlength: 1000, required: true }),
      h("div", { class: "actions" }, h("button", { type: "submit" }, bi("发送答复", "Send the answer"))));
    const key = crypto.randomUUID();
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const answer = form.elements.answer.value.trim();
      if (!answer) {
        say(out, "请填写答复。", "Write the answer.", "error");
        form.elements.answer.focus();
        return;
      }
      try {
        await api("POST", `/v1/inquiries/${q.id}/answer`, { text: answer }, { headers: { "Idempotency-Key": key } });
        await load(`已答复，短信已排队发送给驾驶人。`, `Answered; the text to the driver is on its way.`);
      } catch (err) { showProblem(out, err); }
    });
    parts.push(form, out);
  }
  return h("li", { class: "card" }, parts);
}

async function load(zh, en) {
  try {
    const data = await api("GET", "/v1/inquiries?state=all");
    // Open ones first by due time, then the answered ones, newest first.
    const list = [...data.inquiries.filter((q) => !q.answer).sort((a, b) => a.due_at.localeCompare(b.due_at)),
      ...data.inquiries.filter((q) => q.answer).sort((a, b) => b.answered_at.localeCompare(a.answered_at))];
    where.replaceChildren(zh ? h("p", { class: "ok", role: "status" }, bi(zh, en)) : "",
      list.length ? h("ul", { class: "cards" }, list.map(item)) : h("p", { class: "muted" }, bi("暂无咨询或投诉。", "No inquiries or complaints.")));
  } catch (err) { showProblem(where, err); }
}

load();

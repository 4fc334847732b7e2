// Operators: outbox health per destination (pending, parked with reasons, oldest age), replay of parked
// messages, the runtime (event-loop lag, worker heartbeats) and the reference data versions.
import { $, api, bi, h, say, showProblem, table, when } from "./app.js";

function age(s) {
  if (s === null || s === undefined) return "—";
  if (s < 120) return `${Math.round(s)} 秒 s`;
  if (s < 7200) return `${Math.round(s / 60)} 分钟 min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} 小时 h`;
  return `${(s / 86400).toFixed(1)} 天 d`;
}

async function health() {
  const where = $("#health");
  try {
    const { destinations } = await api("GET", "/v1/admin/outbox/health");
    where.replaceChildren(table("各目的地的消息", "Messages by destination",
      [bi("目的地", "Destination"), bi("待发送", "Pending"), bi("重试中", "Retrying"), bi("已暂停", "Parked"),
        bi("最早待发送", "Oldest pending"), bi("最早暂停", "Oldest parked"), bi("暂停原因", "Parked because")],
      destinations.map((d) => [d.destination, String(d.pending), String(d.retrying),
        d.parked ? h("strong", { class: "late" }, String(d.parked)) : "0",
        age(d.oldest_pending_age_s), age(d.oldest_parked_age_s),
        d.parked_reasons.map((r) => h("div", {}, `${r.reason} (${r.messages})`))])));
  } catch (err) { showProblem(where, err); }
}

async function parked() {
  const where = $("#parked");
  const out = h("div", { role: "status", "aria-live": "polite", id: "replay-result" });
  try {
    const { messages } = await api("GET", "/v1/admin/outbox?status=parked");
    const rows = messages.map((m) => {
      const button = h("button", { type: "button", class: "secondary", "aria-label": `重新发送 Replay ${m.topic} ${m.id.slice(0, 8)}` },
        bi("重新发送", "Replay"));
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await api("POST", `/v1/admin/outbox/${m.id}/replay`);
          say(out, `消息 ${m.id.slice(0, 8)} 已重新排队发送。`, `Message ${m.id.slice(0, 8)} is queued again.`);
          await Promise.all([health(), parked()]);
          $("#replay-result").replaceWith(out);
        } catch (err) { showProblem(out, err); button.disabled = false; }
      });
      return [m.topic, m.id.slice(0, 8), String(m.attempts), m.last_error || (m.last_status ? `HTTP ${m.last_status}` : "—"),
        when(m.created_at), m.blocked_by ? m.blocked_by.slice(0, 8) : "—", button];
    });
    where.replaceChildren(table("已暂停的消息", "Parked messages",
      [bi("主题", "Topic"), bi("编号", "Id"), bi("尝试次数", "Attempts"), bi("最后错误", "Last error"), bi("创建", "Created"),
        bi("阻塞", "Blocking"), bi("操作", "Action")], rows), out);
  } catch (err) { showProblem(where, err); }
}

async function runtime() {
  const where = $("#runtime");
  try {
    const r = await api("GET", "/v1/admin/runtime");
    const lag = r.loop_lag;
    where.replaceChildren(
      h("p", {}, bi("事件循环延迟（本进程，60秒）", "Event-loop lag (this process, 60 s)"),
        `：p50 ${lag.p50_ms.toFixed(1)} ms · p99 ${lag.p99_ms.toFixed(1)} ms · max ${lag.max_ms.toFixed(1)} ms`),
      table("后台进程心跳", "Worker heartbeats", [bi("名称", "Name"), bi("状态", "State"), bi("最近心跳", "Last beat"),
        bi("处理中", "In flight")], (r.workers || []).map((w) => [w.name,
        w.state === "running" ? bi("运行中", "running") : h("strong", { class: "late" }, w.state === "stalled" ? bi("停滞", "stalled") : bi("已停止", "stopped")),
        `${when(w.beat_at)}（${age(w.beat_age_s)}）`, String(w.in_flight)])));
  } catch (err) { showProblem(where, err); }
}

async function reference() {
  const where = $("#reference");
  try {
    const r = await api("GET", "/v1/admin/reference/versions");
    where.replaceChildren(
      h("p", {}, bi("本进程使用的版本", "Version in use by this process"), `：${r.current_in_this_process ?? "—"}`),
      table("参考数据版本", "Reference data versions", [bi("版本", "Version"), bi("载入时间", "Loaded"), bi("来源", "Source"), bi("摘要", "Digest")],
        r.versions.map((v) => [String(v.version), when(v.loaded_at), v.source, v.digest.slice(0, 12)])));
  } catch (err) { showProblem(where, err); }
}

health(); parked(); runtime(); reference();

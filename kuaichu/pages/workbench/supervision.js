// Supervision: Zhejiang's counties coloured by cases in the chosen period, with the table behind the picture
// (cases, SLA breaches, disputes, court deliveries, complaints per county), the distribution of the time
// from report to agreement, and a CSV download of the same table. Read-only; within the jurisdiction of the
// account (an administrator sees all), as the API answers.
import { $, api, bi, h, s, showProblem, table } from "./app.js";
import { drawMap, legend, outlines } from "./map.js";

const where = $("#supervision");
const form = $("#period");
const csv = $("#csv");
// Sequential blues, light to dark (readable text beside each; the table carries the numbers).
const SHADES = ["#f7f9fb", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

const BUCKETS = [["lt_15m", "15分钟内", "< 15 min"], ["15_30m", "15–30分钟", "15–30 min"], ["30_60m", "30–60分钟", "30–60 min"],
  ["1_2h", "1–2小时", "1–2 h"], ["2_6h", "2–6小时", "2–6 h"], ["6_24h", "6–24小时", "6–24 h"], ["ge_24h", "24小时以上", "≥ 24 h"]];

function minutes(m) {
  if (m === null || m === undefined) return "—";
  return m < 120 ? `${Math.round(m)} 分钟 min` : `${(m / 60).toFixed(1)} 小时 h`;
}

function classes(max) {
  // Upper bounds of at most five classes above zero, whole numbers, increasing, the last one reaching max.
  if (max <= 5) return Array.from({ length: Math.max(1, max) }, (_, i) => i + 1);
  const step = Math.ceil(max / 5);
  return [1, 2, 3, 4, 5].map((i) => i * step);
}

function shade(n, bounds) {
  if (!n) return SHADES[0];
  const i = bounds.findIndex((b) => n <= b);
  return SHADES[(i < 0 ? bounds.length - 1 : i) + 1];
}

// A horizontal bar per bucket, drawn as SVG (the table below it holds the same numbers).
function bars(zh, en, buckets) {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const rowH = 26;
  const svg = s("svg", { viewBox: `0 0 640 ${buckets.length * rowH}`, role: "img", "aria-label": `${zh} ${en}` });
  buckets.forEach((b, i) => {
    const y = i * rowH;
    const w = (380 * b.count) / max;
    svg.append(s("text", { x: 0, y: y + 17, "font-size": 13, fill: "#1a1f24" }, b.label),
      s("rect", { x: 200, y: y + 4, height: 18, width: Math.max(1, w), fill: "#3182bd" }),
      s("text", { x: 206 + w, y: y + 17, "font-size": 13, fill: "#1a1f24" }, String(b.count)));
  });
  return h("figure", { class: "chart-box" }, svg);
}

const HEADS = [bi("区县", "County"), bi("案件", "Cases"), bi("超时", "Deadline breaches"), bi("争议", "Disputes"),
  bi("法院受理", "Court deliveries"), bi("投诉查勘", "Complaints: assessor"), bi("投诉保险公司", "Complaints: insurer"),
  bi("达成协议", "Agreed"), bi("协议用时中位数", "Median time to agreement")];

function row(r) {
  return [r.zone_name, String(r.cases), String(r.sla_breaches), String(r.disputes), String(r.court_deliveries),
    String(r.complaints_assessor), String(r.complaints_insurer), String(r.agreed), minutes(r.agreement_time.p50_min)];
}

// The table behind the map: the counties with cases, most first; those without any, listed after in a
// collapsed part (the CSV holds every county and column too).
function countyTable(rows) {
  const busy = rows.filter((r) => r.cases > 0).sort((a, b) => b.cases - a.cases || a.zone_id.localeCompare(b.zone_id));
  const quiet = rows.filter((r) => r.cases === 0);
  return [
    table("有案件的区县（地图背后的表格）", "Counties with cases (the table behind the map)", HEADS, busy.map(row)),
    quiet.length ? h("details", { class: "history" },
      h("summary", {}, bi(`无案件的区县（${quiet.length} 个）`, `Counties without a case (${quiet.length})`)),
      h("p", {}, quiet.map((r) => r.zone_name).join("、"))) : null,
  ];
}

// The period in Beijing days; the first time, the API's default (the last 30 days up to today, Beijing).
async function load() {
  const from = form.elements.from.value;
  const to = form.elements.to.value;
  const asked = from && to ? `since=${from}&until=${to}` : "";
  try {
    const [data, map] = await Promise.all([api("GET", `/v1/supervision/counties${asked ? "?" + asked : ""}`), outlines()]);
    form.elements.from.value = data.period.since;
    form.elements.to.value = data.period.until;
    const q = `since=${data.period.since}&until=${data.period.until}`;
    csv.setAttribute("href", `/v1/supervision/counties?${q}&format=csv`);
    history.replaceState(null, "", `?${q}`);
    const rows = data.counties;
    const byZone = new Map(rows.map((r) => [r.zone_id, r]));
    const bounds = classes(Math.max(0, ...rows.map((r) => r.cases)));
    const box = h("div", { class: "map province", id: "county-map" });
    drawMap(box, map, {
      title: `各区县案件数 ${data.period.since} 至 ${data.period.until} Cases per county`, labels: map.zones.length <= 30,
      summary: "颜色越深案件越多，各区县数字见下表 darker means more cases; every county's numbers are in the table below",
      fill: (z) => {
        const r = byZone.get(z.id);
        const n = r ? r.cases : 0;
        return { colour: shade(n, bounds), cls: "county", text: `${n} 件 cases` };
      },
    });
    let lo = 1;
    box.append(legend([[SHADES[0], "0"], ...bounds.map((b, i) => {
      const label = lo === b ? `${b}` : `${lo}–${b}`;
      lo = b + 1;
      return [SHADES[i + 1], `${label} 件 cases`];
    })]));
    const parts = [
      h("h2", {}, bi("各区县案件数", "Cases per county")), box,
      countyTable(rows),
    ];
    const t = data.totals;
    parts.push(h("p", {}, bi("合计", "Total"), `：${t.cases} 件 cases · ${t.sla_breaches} 超时 breaches · ` +
      `${t.disputes} 争议 disputes · ${t.court_deliveries} 法院受理 court · ${t.complaints_assessor + t.complaints_insurer} 投诉 complaints`));
    const buckets = BUCKETS.map(([k, zh, en]) => ({ label: `${zh} ${en}`, count: t.agreement_time.buckets[k] || 0 }));
    parts.push(h("h2", {}, bi("从报案到达成协议的时间", "Time from report to agreement")),
      bars("达成协议用时分布（全部区县）", "Time to agreement, all counties", buckets),
      table("达成协议用时分布", "Distribution of the time to agreement", [bi("用时", "Time"), bi("案件", "Cases")],
        buckets.map((b) => [b.label, String(b.count)])),
      h("p", {}, bi("中位数", "Median"), ` ${minutes(t.agreement_time.p50_min)} · P90 ${minutes(t.agreement_time.p90_min)}`));
    where.replaceChildren(...parts.flat().filter(Boolean));
  } catch (err) {
    showProblem(where, err);
  }
}

const params = new URLSearchParams(location.search);
form.elements.from.value = params.get("since") || "";
form.elements.to.value = params.get("until") || "";
form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
load();

// Language (Chinese first, English on request) and how times and money are written for people.
// The choice is a display preference kept in localStorage; nothing secret is ever stored by the page.
let current = localStorage.getItem("kuaichu.lang") === "en" ? "en" : "zh";

export function lang() { return current; }

export function setLang(value) {
  current = value === "en" ? "en" : "zh";
  localStorage.setItem("kuaichu.lang", current);
  document.documentElement.lang = current === "en" ? "en" : "zh-CN";
}

// L("中文", "English"): the text in the chosen language.
export function L(zh, en) { return current === "en" ? en : zh; }

// A {zh, en} pair from the API (problems, eligibility reasons, rule titles).
export function pick(pair) {
  if (!pair) return "";
  if (typeof pair === "string") return pair;
  return (current === "en" ? pair.en : pair.zh) || pair.zh || pair.en || "";
}

const beijing = { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
                  hour: "2-digit", minute: "2-digit", hour12: false };

// Times are shown in Beijing time, whatever the phone's own zone.
export function when(iso) {
  if (!iso) return "";
  const text = new Intl.DateTimeFormat(current === "en" ? "en-GB" : "zh-CN", beijing).format(new Date(iso));
  return text + L("（北京时间）", " (Beijing time)");
}

// Money in 元 with two decimals (amounts in fen from the API).
export function yuan(fen) {
  return (Number(fen) / 100).toFixed(2) + L(" 元", " yuan");
}

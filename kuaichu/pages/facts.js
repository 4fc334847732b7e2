// The facts of the collision as plain questions (FAULT_RULES.md §2), each answer one value of the API.
export const QUESTIONS = [
  { name: "junction", path: "context", zh: "事故发生在哪里？", en: "Where did it happen?", options: [
    ["none", "路段上（不在路口）", "On a road, not at a junction"],
    ["signalised", "有红绿灯的路口", "At a junction with traffic lights"],
    ["unsignalised", "没有红绿灯的路口", "At a junction without lights"],
    ["roundabout", "环岛", "At a roundabout"]] },
  { name: "collision", path: "context", zh: "两车是怎么碰的？", en: "How did the vehicles meet?", options: [
    ["rear_end", "追尾（一车撞上前车车尾）", "Rear-end (one ran into the back of the other)"],
    ["side_impact", "一车撞到另一车侧面", "One hit the side of the other"],
    ["sideswipe_same_direction", "同方向行驶时刮擦", "Scraped while going the same way"],
    ["sideswipe_opposite_direction", "相向行驶时刮擦", "Scraped while going opposite ways"],
    ["head_on", "正面相撞", "Head-on"],
    ["single_vehicle", "只有一辆车（撞到物体）", "One vehicle only (hit an object)"]] },
  { name: "movement", zh: "碰撞时，您的车在做什么？", en: "What was your vehicle doing?", options: [
    ["straight", "直行", "Going straight"], ["stopped", "停车等候（如等红灯、排队）", "Stopped in traffic (e.g. at a light)"],
    ["turning_left", "左转", "Turning left"], ["turning_right", "右转", "Turning right"],
    ["changing_lane", "变道", "Changing lane"], ["overtaking", "超车", "Overtaking"],
    ["u_turn", "掉头", "Making a U-turn"], ["reversing", "倒车", "Reversing"],
    ["entering_road", "从路边或支路驶入", "Pulling out from the side or a side road"],
    ["entering_roundabout", "进入环岛", "Entering the roundabout"], ["in_roundabout", "在环岛内行驶", "Driving in the roundabout"],
    ["parked", "停放在路边", "Parked"], ["rolling", "车辆溜车（无人控制地移动）", "Rolling without control"]] },
  { name: "impact", optional: true, zh: "您的车哪个部位被撞？", en: "Where was your vehicle hit?", options: [
    ["front", "车头", "Front"], ["rear", "车尾", "Rear"], ["left", "左侧", "Left side"], ["right", "右侧", "Right side"]] },
  { name: "other_from", optional: true, zh: "对方的车从哪个方向来？（以您的行驶方向看）",
    en: "Where did the other vehicle come from (seen from your direction)?", options: [
    ["ahead", "前方", "Ahead"], ["behind", "后方", "Behind"], ["left", "左边", "Left"], ["right", "右边", "Right"],
    ["opposite", "对面", "Opposite"]] },
  { name: "signal", optional: true, when: (a) => a.junction === "signalised", zh: "您这边的信号灯是什么颜色？",
    en: "What colour was your light?", options: [
    ["green", "绿灯", "Green"], ["yellow", "黄灯", "Yellow"], ["red", "红灯", "Red"], ["none", "没有信号灯或不亮", "No light / not working"]] },
  { name: "priority", optional: true, when: (a) => a.junction === "unsignalised", zh: "您这边的道路是？",
    en: "Your approach was…", options: [
    ["major_road", "主路（优先通行）", "The main road (priority)"], ["yield_sign", "有让行标志或标线", "Marked give way / stop"],
    ["none", "都没有", "Neither"]] },
];

export const FLAGS = [
  ["wrong_way", "我逆行了", "I was going the wrong way"],
  ["u_turn_prohibited", "在禁止掉头的地方掉头", "U-turn where it is forbidden"],
  ["door_opened", "我开了车门", "I opened a door"],
  ["stopped_unlawfully", "我违法停车", "I was stopped where it is not allowed"],
  ["no_hazard_lights", "停车时没开危险报警闪光灯", "Stopped without hazard lights"],
];

// The API's account body from the form's answers (absent optional answers mean "don't know").
export function accountOf(a) {
  const body = { context: { junction: a.junction, collision: a.collision }, movement: a.movement,
                 flags: a.flags || [] };
  for (const q of QUESTIONS) {
    if (!q.path && q.name !== "movement" && a[q.name] && a[q.name] !== "unknown" && (!q.when || q.when(a))) body[q.name] = a[q.name];
  }
  return body;
}

// The articles the rule templates cite, in plain words (the article's number stays beside it).
const LAW = {
  "道路交通安全法第三十五条": ["车辆靠右行驶。", "Vehicles keep to the right."],
  "道路交通安全法第三十七条": ["专用车道只给规定的车辆走。", "A reserved lane is only for the vehicles it is reserved for."],
  "道路交通安全法第三十八条": ["按信号灯走；有交警指挥时听交警的。", "Follow the lights, or the officer directing traffic."],
  "道路交通安全法第三十九条": ["交警设置的禁行、限行要遵守。", "Obey closures and restrictions set by the police."],
  "道路交通安全法第四十三条": ["跟前车要保持足够的安全距离，能及时刹住车；有些情况不得超车。", "Keep enough distance to stop behind the vehicle ahead; some places forbid overtaking."],
  "道路交通安全法第四十四条": ["过路口按信号灯、标志标线走；没有的要减速，让优先的车先走。", "At junctions follow lights, signs and markings; without them, slow down and give way to those with priority."],
  "道路交通安全法第五十三条": ["执行紧急任务的警车、消防车、救护车等，其他车要让行。", "Give way to police, fire and ambulance vehicles on an emergency."],
  "道路交通安全法实施条例第三十八条": ["红灯停、绿灯行，黄灯亮时未过停止线的要停。", "Stop on red, go on green; on yellow, stop if not yet past the line."],
  "道路交通安全法实施条例第四十四条": ["多车道时左快右慢，变道不能影响别的车。", "On multi-lane roads keep to the right lanes unless faster; changing lanes must not hinder others."],
  "道路交通安全法实施条例第四十七条": ["超车要先打灯示意，从左边超，并留足距离。", "Signal before overtaking, pass on the left, and keep a safe distance."],
  "道路交通安全法实施条例第四十九条": ["禁止掉头的地方不能掉头。", "No U-turn where it is forbidden."],
  "道路交通安全法实施条例第五十条": ["倒车前要看清车后，确认安全。", "Check behind and make sure it is safe before reversing."],
  "道路交通安全法实施条例第五十一条": ["有红绿灯的路口：按车道和灯走，转弯车让直行车。", "Junctions with lights: keep to your lane and light; turning vehicles give way to those going straight."],
  "道路交通安全法实施条例第五十二条": ["没有红绿灯的路口：让标志优先的一方、让右边来车、转弯让直行。", "Junctions without lights: give way as signed, to traffic from the right, and when turning."],
  "道路交通安全法实施条例第六十三条": ["临时停车不能妨碍其他车辆，开关车门不能妨碍他人。", "Stopping must not obstruct traffic; opening a door must not endanger others."],
  "道路交通安全法实施条例第七十七条": ["乘车人开关车门不能妨碍其他车辆和行人。", "Passengers must not open doors into other traffic."],
};

// [zh, en] plain words for a cited article, or null.
export function plainLaw(article) {
  const key = Object.keys(LAW).filter((k) => article.startsWith(k)).sort((a, b) => b.length - a.length)[0];
  return key ? LAW[key] : null;
}

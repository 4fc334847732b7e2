// How the API's values read to a person (zh, en); the API keeps the values themselves.
export const FIELD = {
  junction: ["路口", "junction"], collision: ["碰撞形态", "collision"], movement: ["行驶动作", "movement"],
  impact: ["碰撞部位", "impact"], other_from: ["对方来向", "other came from"], signal: ["信号灯", "signal"],
  priority: ["通行权", "priority"], flags: ["其他情形", "also"],
};
export const VALUE = {
  none: ["无", "none"], signalised: ["有信号灯路口", "signalised junction"], unsignalised: ["无信号灯路口", "unsignalised junction"],
  roundabout: ["环岛", "roundabout"], rear_end: ["追尾", "rear-end"], head_on: ["正面碰撞", "head-on"],
  side_impact: ["侧面碰撞", "side impact"], sideswipe_same_direction: ["同向刮擦", "same-direction sideswipe"],
  sideswipe_opposite_direction: ["对向刮擦", "opposite-direction sideswipe"], single_vehicle: ["单车事故", "single vehicle"],
  straight: ["直行", "straight on"], turning_left: ["左转", "turning left"], turning_right: ["右转", "turning right"],
  u_turn: ["掉头", "U-turn"], reversing: ["倒车", "reversing"], changing_lane: ["变更车道", "changing lane"],
  overtaking: ["超车", "overtaking"], entering_road: ["驶入道路", "entering the road"],
  entering_roundabout: ["驶入环岛", "entering the roundabout"], in_roundabout: ["在环岛内", "in the roundabout"],
  stopped: ["停车等候", "stopped"], parked: ["停放", "parked"], rolling: ["溜车", "rolling"],
  front: ["车头", "front"], rear: ["车尾", "rear"], left: ["左侧", "left"], right: ["右侧", "right"],
  ahead: ["前方", "ahead"], behind: ["后方", "behind"], opposite: ["对向", "opposite"],
  green: ["绿灯", "green"], yellow: ["黄灯", "yellow"], red: ["红灯", "red"],
  major_road: ["主路", "major road"], yield_sign: ["让行标志", "yield sign"],
  wrong_way: ["逆行", "wrong way"], u_turn_prohibited: ["禁止掉头处掉头", "U-turn where prohibited"],
  wrong_guide_lane: ["未按导向车道行驶", "wrong guide lane"], reserved_lane: ["占用专用车道", "in a reserved lane"],
  prohibited_road: ["驶入禁行道路", "on a prohibited road"], ignored_officer: ["不听交警指挥", "ignored an officer"],
  door_opened: ["开关车门妨碍通行", "opened a door"], emergency_on_duty: ["执行紧急任务", "emergency vehicle on duty"],
  overtook_on_right: ["从右侧超车", "overtook on the right"], lawfully_parked: ["依法停放", "lawfully parked"],
  stopped_unlawfully: ["违法停车", "stopped unlawfully"], no_hazard_lights: ["未开危险报警灯", "no hazard lights"],
};
export const REPORT_STATUS = {
  draft: ["草稿", "draft"], evidence_complete: ["证据已齐", "evidence complete"], facts_complete: ["陈述已齐", "accounts complete"],
  proposed: ["已有责任建议", "proposal made"], in_review: ["等待交警认定", "waiting for the police"],
  determined: ["交警已认定", "determined by the police"], agreed: ["已达成协议", "agreed"], signed: ["已签署", "signed"],
  referred: ["已转122", "referred to 122"], court: ["已移送法院", "with the court"],
};
export const OUTCOME = { determined: ["规则已判定", "decided by the rules"], needs_review: ["需交警认定", "needs the police"] };

export function word(table, value) {
  return table[value] || [String(value), String(value)];
}

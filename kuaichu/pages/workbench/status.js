// How a task's status reads to a person (the API keeps the status values).
export const STATUS = {
  queued: ["排队等待派单", "queued"], offered: ["已派单待接受", "offered"], accepted: ["已接受", "accepted"],
  on_scene: ["已到达现场", "on scene"], completed: ["已完成", "completed"], cancelled: ["已取消", "cancelled"],
};

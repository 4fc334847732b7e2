"""The privacy notice a party consents to (个人信息保护法 arts. 17, 23, 29), versioned."""

from __future__ import annotations

NOTICE_VERSION = "2026-11-01"

NOTICE_ZH = """快处个人信息处理告知书（版本 2026-11-01）
一、我们处理什么：您的姓名、身份证或驾驶证号码、手机号码、车辆号牌、保险信息、事故地点和时间、现场照片。
二、为什么处理：为了快速处理本起财产损失交通事故，出具责任建议和协议书，联系保险公司定损理赔；如有争议，依法提交交警审核或法院处理。
三、位置信息：事故地点用于判断是否在服务区域、确定管辖和派遣定损人员。没有您的同意，我们无法受理本次报案。
四、对外提供（单独同意）：经您单独同意，我们将本案必要信息提供给相关保险公司、公安交通管理部门，以及在您申请时提供给人民法院。不同意时，您可以自行与保险公司联系。
五、保存与安全：姓名、证件号码、手机号码加密存储；日志和其他当事人看到的信息均做脱敏处理；照片原件仅供有权限的人员查看。
六、您的权利：您可以查阅、复制、更正您的信息，或撤回同意；撤回不影响撤回前已进行的处理。"""

NOTICE_EN = """Kuaichu personal information notice (version 2026-11-01)
1. What we process: your name, ID or driving-licence number, mobile number, plate, insurance details, the time
   and place of the accident, and your photos.
2. Why: to handle this property-damage-only accident quickly, propose liability and produce the agreement, and
   have insurers assess and pay; in a dispute, to pass the case to police review or, at your request, a court.
3. Location: the accident location decides the service area, the jurisdiction and who comes to assess the
   damage. Without this consent we cannot take the report.
4. Sharing (separate consent): with your separate consent we give the necessary case data to the insurers
   concerned, the traffic police and, when you ask for court handling, the court. Without it you deal with
   your insurer yourself.
5. Storage and security: names, ID numbers and phone numbers are encrypted at rest and masked in logs and in
   what other parties see; original photos are shown only to those entitled to them.
6. Your rights: you may see, copy and correct your data and withdraw consent; withdrawal does not affect
   processing done before it."""

"""The legal remedies a claimant keeps whatever the insurer decides, in plain words (PRODUCT.md): the insured
may apply for arbitration or sue (交强险条例 §30); a third party paid directly (§31) may sue the person liable with
the compulsory insurer as co-defendant (最高法交通事故解释(2020) §22)."""

from __future__ import annotations

REMEDIES_ZH = (
    "您的不同意见已记录，保险公司和处理人员都能看到。这不影响您依法维权：如果您是这辆车的投保人"
    "（被保险人），可以依法申请仲裁，或者向人民法院起诉（《机动车交通事故责任强制保险条例》第三十条）；"
    "如果您是由对方保险公司赔付的受害人，可以向人民法院起诉赔偿义务人，并要求把承保交强险的保险公司"
    "列为共同被告（最高人民法院交通事故损害赔偿司法解释第二十二条）。"
)
REMEDIES_EN = (
    "Your disagreement is recorded; the insurer and the staff handling the case see it. It does not "
    "replace your legal remedies: as the insured of this vehicle you may apply for arbitration or sue in "
    "a people's court (compulsory insurance regulations, art. 30); as a victim paid by the other "
    "vehicle's insurer you may sue the person liable and ask for the compulsory insurer to be a "
    "co-defendant (Supreme People's Court interpretation on traffic accident compensation, art. 22)."
)

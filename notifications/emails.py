"""The e-mails' wording: EmailTemplate rows rendered with Django's template language.

Plain-text e-mails, so nothing is HTML-escaped. A key whose row is missing (a database
migrated without the data migration) falls back to the text of DEFAULTS, the same text
migration 0003 stores.
"""

from __future__ import annotations

from django.conf import settings
from django.template import Context
from django.utils import translation

from notifications.models import EmailTemplate
from notifications.templating import compile_template

NOTIFICATION_SUBJECT = "【招商引资百日竞赛】{{ title }}"
NOTIFICATION_BODY = """{{ name }}，您好：

{{ title }}
{% if body %}
{{ body }}
{% endif %}{% if link %}
查看：{{ link }}
{% endif %}
——
市招商引资百日竞赛活动办公室
（本邮件由系统发送。不想再收到邮件提醒，可在系统的“通知”页面关闭。）
"""
NOTIFICATION_VARIABLES = (
    "name 收件人姓名；title 通知内容；body 正文（可能为空）；kind 通知类型；"
    "link 页面链接（未设置 SITE_URL 或通知无链接时为空）"
)

SUMMARY_SUBJECT = (
    "{{ competition }}每周小结：{{ department }}"
    "{% if rank %}第{{ rank }}名{% endif %}（截至{{ as_of }}）"
)
SUMMARY_BODY = """{{ competition }}进行到第{{ day }}天（共{{ days }}天），数据截至{{ as_of }}，只计已核实的记录。
{% if not taking_part %}
{{ department }}未参加本次竞赛。
{% else %}
排名：全部{{ participants }}个部门中第{{ rank }}名{% if group_rank %}；{{ group }}（{{ group_size }}个）中第{{ group_rank }}名{% endif %}。
得分（时序进度完成率）：{{ score }}；黄牌线 {{ yellow_line }}。
状态：{{ status }}。{% if pace %}
{{ pace }}{% endif %}
{% endif %}
待核实：阶段节点{{ pending_milestones }}条，资金到账{{ pending_receipts }}条。
已退回待修改：阶段节点{{ returned_milestones }}条，资金到账{{ returned_receipts }}条。{% if returned_total %}请尽快修改后重新报送。{% endif %}
"""  # noqa: E501 (the e-mail's lines, as they are sent)
SUMMARY_VARIABLES = (
    "competition 竞赛；department 部门；as_of 统计日期；day、days 第几天、共几天；"
    "taking_part 是否参赛；rank、participants 名次、参赛部门数；group、group_rank、"
    "group_size 分组、组内名次、组内部门数；score 得分（百分数，一位小数，未计分时为“—”）；"
    "yellow_line 黄牌线；status 状态（正常、黄牌、无实绩、未计分）；"
    "pace 还需与黄牌线测算（可能为空）；"
    "pending_milestones、pending_receipts、pending_total 待核实条数；returned_milestones、"
    "returned_receipts、returned_total 已退回条数"
)

DEFAULTS = {
    "notification": (NOTIFICATION_SUBJECT, NOTIFICATION_BODY),
    "weekly_summary": (SUMMARY_SUBJECT, SUMMARY_BODY),
}


def render(key: str, context: dict) -> tuple[str, str]:
    """(subject, body) of the EmailTemplate `key` with `context`, in the site's language.

    The subject is one line (line breaks an edit left in it are joined).
    """
    row = EmailTemplate.objects.filter(key=key).values_list("subject", "body").first()
    subject_text, body_text = row or DEFAULTS[key]
    with translation.override(settings.LANGUAGE_CODE):
        subject = compile_template(subject_text).render(Context(context, autoescape=False))
        body = compile_template(body_text).render(Context(context, autoescape=False))
    return " ".join(subject.split()), body.strip() + "\n"

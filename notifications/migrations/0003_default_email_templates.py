"""The default wording of the e-mails, which the office then edits in the admin.

A frozen copy of notifications/emails.py's DEFAULTS as they were when this was written.
"""

from django.db import migrations

TEMPLATES = {
    "notification": (
        '【招商引资百日竞赛】{{ title }}',
        '{{ name }}，您好：\n\n{{ title }}\n{% if body %}\n{{ body }}\n{% endif %}{% if link %}\n查看：{{ link }}\n{% endif %}\n——\n市招商引资百日竞赛活动办公室\n（本邮件由系统发送。不想再收到邮件提醒，可在系统的“通知”页面关闭。）\n',
        'name 收件人姓名；title 通知内容；body 正文（可能为空）；kind 通知类型；link 页面链接（未设置 SITE_URL 或通知无链接时为空）',
    ),
    "weekly_summary": (
        '{{ competition }}每周小结：{{ department }}{% if rank %}第{{ rank }}名{% endif %}（截至{{ as_of }}）',
        '{{ competition }}进行到第{{ day }}天（共{{ days }}天），数据截至{{ as_of }}，只计已核实的记录。\n{% if not taking_part %}\n{{ department }}未参加本次竞赛。\n{% else %}\n排名：全部{{ participants }}个部门中第{{ rank }}名{% if group_rank %}；{{ group }}（{{ group_size }}个）中第{{ group_rank }}名{% endif %}。\n得分（时序进度完成率）：{{ score }}；黄牌线 {{ yellow_line }}。\n状态：{{ status }}。{% if pace %}\n{{ pace }}{% endif %}\n{% endif %}\n待核实：阶段节点{{ pending_milestones }}条，资金到账{{ pending_receipts }}条。\n已退回待修改：阶段节点{{ returned_milestones }}条，资金到账{{ returned_receipts }}条。{% if returned_total %}请尽快修改后重新报送。{% endif %}\n',
        'competition 竞赛；department 部门；as_of 统计日期；day、days 第几天、共几天；taking_part 是否参赛；rank、participants 名次、参赛部门数；group、group_rank、group_size 分组、组内名次、组内部门数；score 得分（百分数，一位小数，未计分时为“—”）；yellow_line 黄牌线；status 状态（正常、黄牌、无实绩、未计分）；pace 还需与黄牌线测算（可能为空）；pending_milestones、pending_receipts、pending_total 待核实条数；returned_milestones、returned_receipts、returned_total 已退回条数',
    ),
}


def create_templates(apps, schema_editor):
    EmailTemplate = apps.get_model("notifications", "EmailTemplate")
    for key, (subject, body, variables) in TEMPLATES.items():
        EmailTemplate.objects.get_or_create(
            key=key, defaults={"subject": subject, "body": body, "variables": variables}
        )


def remove_templates(apps, schema_editor):
    apps.get_model("notifications", "EmailTemplate").objects.filter(key__in=TEMPLATES).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_email_and_preferences")]

    operations = [migrations.RunPython(create_templates, remove_templates)]

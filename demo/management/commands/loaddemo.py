from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.loader import DemoConflict, build_demo


class Command(BaseCommand):
    help = "载入演示数据：市直部门招商引资百日竞赛（今天是第43天），部门、项目、接待和各角色账号。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="先删除已有的演示竞赛、演示项目和演示账号登记的接待，再按今天重建",
        )

    def handle(self, *args, rebuild, **options):
        try:
            result = build_demo(today=timezone.localdate(), rebuild=rebuild)
        except DemoConflict as e:
            raise CommandError(str(e)) from None
        competition = result.competition
        window = f"{competition.start_date} 至 {competition.end_date}"
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"已载入演示数据：{competition.name}（{window}），今天是第{result.day}天。"
                )
            )
            counts = result.counts
            self.stdout.write(
                f"部门 {counts['departments']} 个，项目 {counts['projects']} 个，"
                f"客商接待 {counts['visits']} 批次。"
            )
        else:
            self.stdout.write(
                f"演示数据已存在：{competition.name}（{window}），今天是第{result.day}天；未做改动。"
                "如需按今天重建，请加 --rebuild。"
            )
        self.stdout.write("演示账号（密码每次相同）：")
        for login in result.logins:
            self.stdout.write(
                f"  {login.username:<14}{login.password:<17}"
                f"{login.role}  {login.name}  {login.note}"
            )

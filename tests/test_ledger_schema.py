"""The ledger's words are the models' words, and the benchmark command runs."""

from io import StringIO

from django.core.management import call_command
from django.utils import translation

from competition.ledger import schema
from competition.models import Competition, Metric
from projects.models import Industry, Project, SourceChannel, Visit


def test_ledger_labels_are_the_model_labels():
    with translation.override("zh-hans"):
        assert schema.METRIC_LABELS == {m.value: str(m.label) for m in Metric}
        assert schema.INDUSTRY_LABELS == {c.value: str(c.label) for c in Industry}
        assert schema.SOURCE_CHANNEL_LABELS == {c.value: str(c.label) for c in SourceChannel}


def test_sheets_follow_ledger_md():
    assert [s.name for s in schema.SHEETS] == [
        "竞赛",
        "权重",
        "部门",
        "任务",
        "项目",
        "到账",
        "接待",
    ]
    assert schema.SHEET_BY_NAME["任务"].columns[1:] == tuple(schema.METRIC_LABELS.values())
    assert schema.SHEET_BY_NAME["项目"].required == {"项目编号", "项目名称", "责任部门"}


def test_ledger_bench_imports_a_generated_ledger(db):
    out = StringIO()
    call_command(
        "ledger_bench",
        "--departments",
        "3",
        "--projects",
        "30",
        "--visits",
        "40",
        "--reimport",
        stdout=out,
    )
    text = out.getvalue()
    assert "项目：新增30" in text and "项目：新增0，更新0，未变30" in text
    assert Competition.objects.filter(name="台账性能测试竞赛").exists()
    assert Project.objects.count() == 30 and Visit.objects.count() == 40

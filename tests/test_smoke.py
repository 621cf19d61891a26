def test_stage_order_refuses_backwards(commerce):
    from datetime import date

    import pytest
    from django.core.exceptions import ValidationError

    from projects.models import Stage
    from tests.conftest import make_milestone, make_project

    p = make_project(commerce)
    make_milestone(p, Stage.SIGNED, date(2026, 3, 1))
    with pytest.raises(ValidationError) as e:
        make_milestone(p, Stage.GROUNDBREAKING, date(2026, 2, 1))
    assert "不能早于" in str(e.value)

"""The stages a project moves through and the review status of its records.

Apart from the models so that the stage rule (projects.rules) and the checks that read
the stored records (projects.validation) can name them without importing the models,
which call those checks. projects.models re-exports them: `from projects.models import
Stage` keeps working.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.IntegerChoices):
    """Project stages in order; a higher value is a later stage."""

    LEAD = 0, _("信息线索")
    INTENT = 1, _("签订意向")
    SIGNED = 2, _("正式签约")
    FUNDED = 3, _("资金到账")
    GROUNDBREAKING = 4, _("开工建设")


# Milestones record every stage but "funds received": that one is reached by receipts.
MILESTONE_STAGES = [Stage.LEAD, Stage.INTENT, Stage.SIGNED, Stage.GROUNDBREAKING]


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待核实")
    VERIFIED = "verified", _("已核实")
    RETURNED = "returned", _("已退回")

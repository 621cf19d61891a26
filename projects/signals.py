"""Signals data entry sends for the changes that bypass save() (compare-and-set updates).

`records_changed(sender=Model, dates=[...])`: counted records dated `dates` changed
status or meaning. The competition app listens (scoring stays out of data entry).
"""

from django.dispatch import Signal

records_changed = Signal()

"""`ListTable`: a django-tables2 table whose page is put together in Python.

The stock template works out, for every cell, what is the same for the whole column (its
attributes, whether its field has choices, which arguments its render() takes, its
default), and builds every sort and page link through a template tag: that was most of a
list page's time. `ListTable` does the per-column work once and joins the header, the
rows and the page links in Python; `templates/projects/_table.html` places them in the
stock template's blocks. The markup is the stock template's, but for the rows' even/odd
classes (tests/test_progress_columns.py compares them). A column's `td` attributes must
therefore not depend on the row (none of ours do).
"""

import functools
from html import escape as html_escape
from urllib.parse import urlencode

import django_tables2 as tables
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext
from django_tables2 import A
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.manytomanycolumn import ManyToManyColumn
from django_tables2.templatetags.django_tables2 import table_page_range
from django_tables2.utils import AttributeDict, signature

# Rendered headers by everything they depend on (ListTable.thead_html); cleared when full.
THEAD_MEMO_SIZE = 1024
_THEADS: dict[tuple, str] = {}


class ListTable(tables.Table):
    """A table of a long list page: `projects/_table.html`, its parts from Python."""

    def body(self) -> list[list[tuple[str, object]]]:
        """The page's rows, each a list of (td attributes, cell) in column order."""
        cells = [_ColumnCells(self, column) for column in self.columns]
        return [[(c.attrs, c.cell(row)) for c in cells] for row in self.paginated_rows]

    def body_html(self) -> str:
        """The page's <tr> rows: each cell output as `{{ cell }}` would output it."""
        return mark_safe(  # noqa: S308  (every cell escaped as the template would)
            "".join(
                "<tr>"
                + "".join(f"<td {attrs}>{_as_template_would(cell)}</td>" for attrs, cell in row)
                + "</tr>"
                for row in self.body()
            )
        )

    @classmethod
    def shown_fields(cls, model) -> list[str]:
        """The fields of `model` (and of rows it selects related) its visible columns
        read: a page passes them to `QuerySet.only()` and loads nothing it does not show
        (an export, which shows every column, loads everything)."""
        fields = []
        for name, column in cls.base_columns.items():
            accessor = A(column.accessor or name)
            field = accessor.get_field(model)
            if column.visible and field is not None:
                fields.append(accessor)
        return fields

    def thead_html(self) -> str:
        """The stock `<thead>`: each header, a link that sorts by it when it may.

        Worked out once per table class, language, query string, order and columns
        (all it depends on) and kept in a bounded memo: translating the headers and
        building their links cost more than the rows' cells.
        """
        key = (
            type(self),
            get_language(),
            self.prefix,
            tuple(sorted((name, tuple(values)) for name, values in self.request.GET.lists())),
            tuple(self.order_by or ()),
            tuple(column.name for column in self.columns),
        )
        html = _THEADS.get(key)
        if html is None:
            if len(_THEADS) >= THEAD_MEMO_SIZE:
                _THEADS.clear()
            html = _THEADS[key] = self._thead_html()
        return html

    def _thead_html(self) -> str:
        cells = []
        for column in self.columns:
            header = _as_template_would(column.header)
            if column.orderable:
                link = self._query({self.prefixed_order_by_field: column.order_by_alias.next})
                header = f'<a href="{link}">{header}</a>'
            cells.append(f'<th {column.attrs["th"].as_html()} scope="col">{header}</th>')
        thead = self.attrs.get("thead")
        thead_attrs = AttributeDict(thead).as_html() if thead else ""
        return mark_safe(  # noqa: S308  (headers escaped as the template would)
            f"<thead {thead_attrs}><tr>{''.join(cells)}</tr></thead>"
        )

    def pagination_html(self) -> str:
        """The stock page links: previous, up to ten pages around this one, next."""
        page = getattr(self, "page", None)
        if not page or self.paginator.num_pages <= 1:
            return ""
        field = self.prefixed_page_field
        items = []
        if page.has_previous():
            link = self._query({field: page.previous_page_number()})
            items.append(
                f'<li class="previous page-item"><a href="{link}" class="page-link">'
                f'<span aria-hidden="true">&laquo;</span>{escape(gettext("previous"))}</a></li>'
            )
        if page.has_previous() or page.has_next():
            for number in table_page_range(page, self.paginator):
                active = " active" if page.number == number else ""
                # The stock template leaves a space where a gap has no href.
                href = f' href="{self._query({field: number})}"' if number != "..." else " "
                items.append(
                    f'<li class="page-item{active}"><a class="page-link"{href}>'
                    f"{_as_template_would(number)}</a></li>"
                )
        if page.has_next():
            link = self._query({field: page.next_page_number()})
            items.append(
                f'<li class="next page-item"><a href="{link}" class="page-link">'
                f'{escape(gettext("next"))}<span aria-hidden="true">&raquo;</span></a></li>'
            )
        return mark_safe(  # noqa: S308  (links and numbers escaped as the template would)
            '<nav aria-label="Table navigation"><ul class="pagination justify-content-center">'
            f"{''.join(items)}</ul></nav>"
        )

    def _query(self, updates: dict) -> str:
        """`{% querystring_replace key=value %}`: this request's query string, updated."""
        params = dict(self.request.GET)
        params.update(updates)
        return escape("?" + urlencode(params, doseq=True))


def _as_template_would(value) -> str:
    """What `{{ value }}` outputs (django.template.base.render_value_in_context)."""
    if isinstance(value, str):  # neither localised nor converted: escaped unless safe
        # html.escape is what django.utils.html.escape calls, without its lazy wrapper.
        return value if isinstance(value, SafeData) else html_escape(value)
    value = localize(template_localtime(value))
    if not isinstance(value, str):
        value = str(value)
    return conditional_escape(value)


def _resolve(accessor: A, bits: tuple[str, ...], record):
    """Accessor.resolve for a model instance, by attribute (it tries `record[bit]` first,
    an exception per step); anything unusual goes to Accessor.resolve itself. `bits` are
    the accessor's, split once per column."""
    current = record
    try:
        for bit in bits:
            current = getattr(current, bit)
            if callable(current):
                raise AttributeError(bit)  # calling rules: leave them to tables2
            if current is None:
                break
        return current
    except AttributeError:
        try:
            return accessor.resolve(record)
        except Exception:
            return None


def _signature(render) -> tuple[tuple[str, ...], bool]:
    """django_tables2.utils.signature, worked out once per function (inspect is slow)."""
    function = getattr(render, "__func__", None)
    if function is None:
        return signature(render)
    return _function_signature(function, bound=True)


@functools.cache
def _function_signature(function, *, bound: bool) -> tuple[tuple[str, ...], bool]:
    args, catch_all = signature(function)
    return (tuple(args[1:]) if bound else tuple(args)), catch_all


@functools.cache
def _choice_labels(field, language: str) -> dict:
    """get_FOO_display()'s labels of a model field's choices, translated once per language
    (the choices are declared in the code)."""
    return {key: str(label) for key, label in field.flatchoices}


class _ColumnCells:
    """What BoundRow.get_cell does for one column, with the per-column work done once."""

    def __init__(self, table: tables.Table, bound_column):
        self.bound_column = bound_column
        self.column = bound_column.column
        self.name = bound_column.name
        self.attrs = bound_column.attrs["td"].as_html()
        self.default = bound_column.default
        self.accessor = A(bound_column.accessor)
        self.render = bound_column.render
        self.args, self.catch_all = _signature(self.render)
        self.display = None
        model = getattr(table.data, "model", None)
        path, _, remainder = self.accessor.rpartition(A.SEPARATOR)
        field = self.accessor.get_field(model) if model is not None else None
        if getattr(field, "choices", None):
            # get_FOO_display(), with the labels translated once rather than per cell.
            labels = _choice_labels(field, get_language())
            self.display = (A(path), tuple(A(path).bits), field.attname, labels)
        self.bits = tuple(self.accessor.bits)
        # Columns that resolve their value in ways of their own keep the stock path.
        self.stock = isinstance(self.column, (BaseLinkColumn, ManyToManyColumn))
        # A plain Column's render() returns the value: no need to call it.
        self.plain = (
            getattr(self.render, "__func__", None) is tables.Column.render
            and not self.bound_column.link
        )

    def cell(self, row):
        if self.stock:
            return row.get_cell(self.name)
        record = row.record
        if self.display is not None:
            path, bits, attname, labels = self.display
            owner = _resolve(path, bits, record)
            value = getattr(owner, attname) if owner is not None else None
            value = labels.get(value, value)
        else:
            value = _resolve(self.accessor, self.bits, record)
        if value in self.column.empty_values:
            return self.default
        if self.plain:
            return value
        every = {
            "value": value,
            "record": record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": row.table,
        }
        kwargs = every if self.catch_all else {a: every[a] for a in self.args if a in every}
        if len(kwargs) < len(self.args):
            content = None  # as call_with_appropriate: a render wanting more is not called
        else:
            content = self.render(**kwargs)
        return self.bound_column.link(content, **every) if self.bound_column.link else content

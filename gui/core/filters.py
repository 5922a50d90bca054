"""The filter selection behind the checkbox tree: four lists, custom labels, limits and what they mean.

A :class:`FilterSelection` holds the four ``GeneralLabels`` lists of ``StartLabelDetection``:

======================  =================================  ================================
row                     Include                            Exclude
======================  =================================  ================================
category                ``LabelCategoryInclusionFilters``  ``LabelCategoryExclusionFilters``
label (or custom)       ``LabelInclusionFilters``          ``LabelExclusionFilters``
======================  =================================  ================================

Include and Exclude are mutually exclusive on a row. Every change goes through the API's limits
(:mod:`gui.core.validation`): a change that would break one is refused with a message, never dropped.

:func:`explain_filters` says in words what a combination returns, following the AWS developer guide
("Detecting labels in a video" / "Detecting labels in an image"): inclusion filters (labels and
categories together) restrict the response to what they name; exclusion filters then remove labels
and categories from it, so an excluded label inside an included category is left out, and exclusion
wins when both name the same label.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

from gui.core.taxonomy import UNCATEGORIZED, Taxonomy, load_taxonomy
from gui.core.types import LabelFilters
from gui.core.validation import MAX_FILTER_ITEMS, filter_value_problem


class Mark(IntEnum):
    """The state of one row: neither box, Include, or Exclude."""

    NONE = 0
    INCLUDE = 1
    EXCLUDE = 2


class FilterKind(Enum):
    LABEL_INCLUDE = ("LabelInclusionFilters", "Include labels", "label", Mark.INCLUDE)
    LABEL_EXCLUDE = ("LabelExclusionFilters", "Exclude labels", "label", Mark.EXCLUDE)
    CATEGORY_INCLUDE = ("LabelCategoryInclusionFilters", "Include categories", "category", Mark.INCLUDE)
    CATEGORY_EXCLUDE = ("LabelCategoryExclusionFilters", "Exclude categories", "category", Mark.EXCLUDE)

    def __init__(self, api_key: str, title: str, target: str, mark: Mark) -> None:
        self.api_key = api_key
        self.title = title
        self.target = target  # "label" or "category"
        self.mark = mark

    @staticmethod
    def of(target: str, mark: Mark) -> FilterKind:
        try:
            return _KIND_OF[(target, mark)]
        except KeyError:
            raise ValueError(f"no filter list for {target!r} / {mark!r}") from None


_KIND_OF = {(k.target, k.mark): k for k in FilterKind}


@dataclass(frozen=True)
class Change:
    """The outcome of a checkbox click: ``ok`` False means refused, and ``message`` says why."""

    ok: bool
    message: str | None = None


class FilterSelection:
    """Four ordered lists plus the custom names the catalogue lacks. Pure Python, no Qt."""

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self.taxonomy = taxonomy or load_taxonomy()
        self._lists: dict[FilterKind, dict[str, None]] = {k: {} for k in FilterKind}  # ordered sets
        self.custom_labels: list[str] = []
        self.custom_categories: list[str] = []  # only from presets or files naming unknown categories

    # ---- reading -----------------------------------------------------------------------------------
    def mark(self, target: str, name: str) -> Mark:
        lists = self._lists
        if target == "label":
            include, exclude = lists[FilterKind.LABEL_INCLUDE], lists[FilterKind.LABEL_EXCLUDE]
        else:
            include, exclude = lists[FilterKind.CATEGORY_INCLUDE], lists[FilterKind.CATEGORY_EXCLUDE]
        if name in include:
            return Mark.INCLUDE
        if name in exclude:
            return Mark.EXCLUDE
        return Mark.NONE

    def label_mark(self, name: str) -> Mark:
        return self.mark("label", name)

    def category_mark(self, name: str) -> Mark:
        return self.mark("category", name)

    def items(self, kind: FilterKind) -> tuple[str, ...]:
        return tuple(self._lists[kind])

    def count(self, kind: FilterKind) -> int:
        return len(self._lists[kind])

    def counter_text(self, kind: FilterKind) -> str:
        return f"{kind.title} {self.count(kind)}/{MAX_FILTER_ITEMS}"

    def is_empty(self) -> bool:
        return not any(self._lists.values())

    def is_custom_label(self, name: str) -> bool:
        return name in self.custom_labels

    # ---- changing ----------------------------------------------------------------------------------
    def set_mark(self, target: str, name: str, mark: Mark) -> Change:
        """Set a row to NONE / INCLUDE / EXCLUDE, switching off the other box. Refuses past the limits."""
        mark = Mark(mark)
        if target == "category" and name == UNCATEGORIZED and mark != Mark.NONE:
            return Change(
                False,
                f"'{UNCATEGORIZED}' is not an AWS category (it holds labels AWS lists without one); "
                "include or exclude its labels one by one.",
            )
        current = self.mark(target, name)
        if current == mark:
            return Change(True)
        if mark != Mark.NONE:
            kind = FilterKind.of(target, mark)
            problem = filter_value_problem(name, kind.api_key)
            if problem:
                return Change(False, problem)
            if self.count(kind) >= MAX_FILTER_ITEMS:
                return Change(False, limit_message(kind))
        if current != Mark.NONE:
            del self._lists[FilterKind.of(target, current)][name]
        if mark != Mark.NONE:
            self._lists[FilterKind.of(target, mark)][name] = None
        return Change(True)

    def set_label(self, name: str, mark: Mark) -> Change:
        return self.set_mark("label", name, mark)

    def set_category(self, name: str, mark: Mark) -> Change:
        return self.set_mark("category", name, mark)

    def clear(self) -> None:
        """Uncheck everything. Custom labels stay listed (unchecked) so they can be checked again."""
        for values in self._lists.values():
            values.clear()

    def custom_label_problem(self, name: str) -> str | None:
        """Why ``name`` cannot be added as a custom label (None: it can)."""
        name = name.strip()
        problem = filter_value_problem(name, "LabelInclusionFilters")
        if problem:
            return problem.replace("Include labels: ", "Custom label: ", 1)
        info = self.taxonomy.get(name)
        if info is not None:
            return f"'{name}' is already in the catalogue, under '{info.category}'."
        lowered = name.casefold()
        for known in self.taxonomy.labels:
            if known.casefold() == lowered:
                return f"The catalogue already has '{known}' (label names are matched as written)."
        if name in self.custom_labels:
            return f"'{name}' is already a custom label."
        return None

    def add_custom_label(self, name: str) -> str | None:
        """Add ``name`` to the custom group (unchecked). Returns a problem message, or None when added."""
        problem = self.custom_label_problem(name)
        if problem:
            return problem
        self.custom_labels.append(name.strip())
        return None

    def remove_custom_label(self, name: str) -> None:
        self.set_label(name, Mark.NONE)
        if name in self.custom_labels:
            self.custom_labels.remove(name)

    # ---- conversion ---------------------------------------------------------------------------------
    def to_filters(self) -> LabelFilters:
        return LabelFilters(
            label_inclusions=self.items(FilterKind.LABEL_INCLUDE),
            label_exclusions=self.items(FilterKind.LABEL_EXCLUDE),
            category_inclusions=self.items(FilterKind.CATEGORY_INCLUDE),
            category_exclusions=self.items(FilterKind.CATEGORY_EXCLUDE),
        )

    @classmethod
    def from_filters(
        cls, filters: LabelFilters, taxonomy: Taxonomy | None = None
    ) -> tuple[FilterSelection, list[str]]:
        """Build a selection; names the catalogue lacks become custom labels/categories, with notices.

        Values that break the API's rules, or lists over the limit, are reported in the notices and
        left out (the caller shows the notices, so nothing disappears silently).
        """
        selection = cls(taxonomy)
        tax = selection.taxonomy
        notices: list[str] = []
        aliases = tax.alias_to_label
        for kind, values in (
            (FilterKind.LABEL_INCLUDE, filters.label_inclusions),
            (FilterKind.LABEL_EXCLUDE, filters.label_exclusions),
            (FilterKind.CATEGORY_INCLUDE, filters.category_inclusions),
            (FilterKind.CATEGORY_EXCLUDE, filters.category_exclusions),
        ):
            for name in values:
                change = selection.set_mark(kind.target, name, kind.mark)
                if not change.ok:
                    notices.append(f"Left out '{name}' from {kind.title}: {change.message}")
                    continue
                if kind.target == "label" and name not in tax.labels and name not in selection.custom_labels:
                    hint = (
                        f" (the catalogue lists it as an alias of '{aliases[name]}')"
                        if name in aliases
                        else ""
                    )
                    notices.append(
                        f"Label '{name}' is not in the label catalogue{hint}; kept as a custom label."
                    )
                    selection.custom_labels.append(name)
                if (
                    kind.target == "category"
                    and name not in tax.categories
                    and name not in selection.custom_categories
                ):
                    notices.append(
                        f"Category '{name}' is not in the catalogue's 40 categories; kept as typed."
                    )
                    selection.custom_categories.append(name)
        return selection, notices

    def explanation(self) -> list[str]:
        return explain_filters(self.to_filters(), self.taxonomy)


def limit_message(kind: FilterKind) -> str:
    return (
        f"{kind.title} is full ({MAX_FILTER_ITEMS}/{MAX_FILTER_ITEMS}): the API accepts at most "
        f"{MAX_FILTER_ITEMS} items in {kind.api_key}. Uncheck one first, or use a category instead."
    )


def _names(values: list[str] | tuple[str, ...], limit: int = 3) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) > limit:
        return ", ".join(quoted[:limit]) + f" and {len(quoted) - limit} more"
    if len(quoted) > 1:
        return ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return quoted[0] if quoted else ""


def explain_filters(filters: LabelFilters, taxonomy: Taxonomy | None = None) -> list[str]:
    """Sentences saying what Rekognition returns with these filters (first one is the summary)."""
    tax = taxonomy or load_taxonomy()
    li, le = list(filters.label_inclusions), list(filters.label_exclusions)
    ci, ce = list(filters.category_inclusions), list(filters.category_exclusions)

    def category_of(name: str) -> str | None:
        info = tax.get(name)
        return info.category if info and info.category != UNCATEGORIZED else None

    if not (li or le or ci or ce):
        return ["No filters: every label Rekognition detects at or above MinConfidence is returned."]

    sentences: list[str] = []
    included_parts = []
    if li:
        included_parts.append(f"the label{'s' if len(li) > 1 else ''} {_names(li)}")
    if ci:
        included_parts.append(f"labels in the categor{'ies' if len(ci) > 1 else 'y'} {_names(ci)}")
    excluded_parts = []
    if le:
        excluded_parts.append(_names(le))
    if ce:
        excluded_parts.append(f"labels in {_names(ce)}")
    if included_parts:
        summary = "Only " + " or ".join(included_parts) + " are returned"
        summary += (
            (", minus " + " and ".join(excluded_parts) + " (exclusions are applied last).")
            if (excluded_parts)
            else "."
        )
    else:
        summary = "All detected labels are returned except " + " and ".join(excluded_parts) + "."
    sentences.append(summary)

    # Excluding a label inside an included category: the rest of the category still comes back.
    for name in le:
        cat = category_of(name)
        if cat and cat in ci:
            sentences.append(f"'{name}' is left out even though its category '{cat}' is included.")
    # Including a label whose category is excluded: the exclusion wins.
    for name in li:
        cat = category_of(name)
        if cat and cat in ce:
            sentences.append(
                f"'{name}' is included but its category '{cat}' is excluded; the exclusion wins, "
                f"so '{name}' is not returned."
            )
        elif cat and cat in ci:
            sentences.append(f"'{name}' is already covered by the included category '{cat}'.")
    # Exclusions that cannot matter because only the included things could come back anyway.
    if li or ci:
        for name in le:
            cat = category_of(name)
            if name not in li and not (cat and cat in ci):
                sentences.append(f"Excluding '{name}' changes nothing: it is not among the included labels.")
        for cat in ce:
            if cat in tax.categories and cat not in ci and not any(category_of(n) == cat for n in li):
                sentences.append(
                    f"Excluding the category '{cat}' changes nothing: none of its labels is included."
                )
    return sentences

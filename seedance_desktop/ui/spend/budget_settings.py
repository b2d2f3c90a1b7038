"""The Settings section for spend: daily and monthly budget caps, and the price table.

Caps are optional (empty: no cap). The price table starts from the model specs' prices and
keeps only what the person changed as overrides (``Settings.prices``); every figure computed
from it is labelled an estimate, because Modellix's bill (``billing.amount``) is the truth.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout, QGroupBox, QHeaderView, QLabel, QLineEdit, QTableWidget, QTableWidgetItem, QWidget,
)

from seedance_desktop.api.spec import MODELS

_ROLE = int(Qt.ItemDataRole.UserRole)


def parse_amount(text: str) -> float | None:
    """USD from a box ("", "12", "$12.50"); ValueError for anything else or a negative amount."""
    cleaned = text.strip().lstrip("$").replace(",", "")
    if not cleaned:
        return None
    value = float(cleaned)
    if value < 0:
        raise ValueError("negative")
    return value


class BudgetSettingsBox(QGroupBox):
    def __init__(self, daily: float | None, monthly: float | None, prices: dict[str, dict[str, float]],
                 parent: QWidget | None = None) -> None:
        super().__init__("Budget and prices", parent)
        form = QFormLayout(self)
        self.daily = QLineEdit("" if daily is None else f"{daily:g}", self)
        self.monthly = QLineEdit("" if monthly is None else f"{monthly:g}", self)
        for edit, what in ((self.daily, "day"), (self.monthly, "calendar month")):
            edit.setAccessibleName(f"Budget cap per {what}")
            edit.setPlaceholderText("No cap")
            edit.setToolTip(f"USD per {what}. A job whose estimate would cross it is held before sending, "
                            "until you choose 'Send anyway'. Empty: no cap.")
        form.addRow("D&aily cap (USD):", self.daily)
        form.addRow("Monthly ca&p (USD):", self.monthly)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Model", "Resolution", "USD per second (estimate)"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("Price table")
        self.table.setMaximumHeight(170)
        rows = [(spec, res, price) for spec in MODELS.values() for res, price in spec.price_per_second.items()]
        self.table.setRowCount(len(rows))
        for row, (spec, res, default) in enumerate(rows):
            name = QTableWidgetItem(spec.title)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            name.setData(_ROLE, spec.slug)
            resolution = QTableWidgetItem(res)
            resolution.setFlags(resolution.flags() & ~Qt.ItemFlag.ItemIsEditable)
            price = QTableWidgetItem(f"{prices.get(spec.slug, {}).get(res, default):g}")
            price.setData(_ROLE, default)
            price.setToolTip(f"Default {default:g}; used only to estimate before sending.")
            for column, item in enumerate((name, resolution, price)):
                self.table.setItem(row, column, item)
        form.addRow(self.table)
        note = QLabel("Prices are estimates used before sending; the spend view shows what Modellix actually billed.", self)
        note.setWordWrap(True)
        form.addRow(note)

    def caps(self) -> tuple[float | None, float | None]:
        return parse_amount(self.daily.text()), parse_amount(self.monthly.text())

    def prices(self) -> dict[str, dict[str, float]]:
        """Only the prices that differ from the model's own."""
        found: dict[str, dict[str, float]] = {}
        for row in range(self.table.rowCount()):
            name, resolution, cell = (self.table.item(row, c) for c in range(3))
            if name is None or resolution is None or cell is None:
                continue
            slug, res = str(name.data(_ROLE)), resolution.text()
            value = parse_amount(cell.text())
            if value is not None and abs(value - float(cell.data(_ROLE))) > 1e-12:
                found.setdefault(slug, {})[res] = value
        return found

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, edit, label in (("daily_cap", self.daily, "daily"), ("monthly_cap", self.monthly, "monthly")):
            try:
                parse_amount(edit.text())
            except ValueError:
                found[name] = f"The {label} cap must be an amount in USD (for example 20 or 12.50), or empty for no cap."
        try:
            self.prices()
        except ValueError:
            found["prices"] = "Each price must be a number of USD per second, 0 or more."
        return found


__all__ = ["BudgetSettingsBox", "parse_amount"]

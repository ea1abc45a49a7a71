"""The system locale's way of writing numbers, read from Qt for the Qt-free formatting code."""

from __future__ import annotations

from balance_desk.present.formatting import NumberFormat


def system_number_format(*, every_digit: bool = False) -> NumberFormat:
    """Separators of the system's locale (unless QLocale.setDefault() chose another)."""
    from PySide6.QtCore import QLocale

    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        # The C locale (an unset LANG) would print 1234567.89; English grouping reads better.
        locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return NumberFormat(
        group=locale.groupSeparator() or ",",
        decimal=locale.decimalPoint() or ".",
        minus=locale.negativeSign() or "-",
        every_digit=every_digit,
    )

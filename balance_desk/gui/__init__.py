"""The desktop app: everything that imports PySide6 lives in this package and nowhere else."""

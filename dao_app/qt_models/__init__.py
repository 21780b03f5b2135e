"""Thin QAbstractTableModel adapters over the plain-Python state."""

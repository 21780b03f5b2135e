"""Dialogs: errors, export, about."""

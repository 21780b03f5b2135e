"""Controllers of the main window.

Each controller is a small :class:`~PySide6.QtCore.QObject` that owns one concern (jobs,
relaxations, files, the session file, T_c, the 3-D views, the analysis tabs...). It is given
exactly what it needs in its constructor (the session, specific widgets, a status-message
callable) and talks to the others through signals and typed callables, never through the
window: no module here imports :mod:`dao_app.main_window`.
:class:`~dao_app.main_window.MainWindow` builds the widgets and the controllers and wires them.
"""

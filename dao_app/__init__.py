"""DAO Studio desktop application (PySide6 + pyvistaqt). Talks to the engine via dao_engine.api."""
